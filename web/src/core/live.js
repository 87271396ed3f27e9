// Live updates: the event stream, read with fetch so the token stays in a header.
import { state } from './state.js';
import { $ } from './dom.js';
import { route } from './router.js';

let liveAbort = null;

// The view drawn again for new events; not under a form being filled in or a
// list being read (asked when the redraw is due, not when the event came: one
// may have been opened since), but after it.
const busy = () => document.querySelector('form:focus-within, details[open], dialog[open]');
function refresh() {
  if (busy()) live.pending = true;
  else route();
}
export async function live() {
  if (liveAbort) liveAbort.abort();
  liveAbort = new AbortController();
  const ctl = liveAbort;
  let last = null;
  for (;;) {
    try {
      const headers = { Authorization: 'Bearer ' + state.token };
      if (last) headers['Last-Event-ID'] = last;
      const res = await fetch('/v1/events/live', { headers, signal: ctl.signal });
      if (!res.ok) throw new Error('live feed ' + res.status);
      $('#live').textContent = '● live';
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        let changed = false;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const id = /^id: (\d+)$/m.exec(block);
          if (id) { last = id[1]; changed = true; }
        }
        if (changed && !state.asOf) {
          clearTimeout(live.timer);
          live.timer = setTimeout(refresh, 150);
        }
      }
    } catch (err) {
      if (ctl.signal.aborted) return;
    }
    $('#live').textContent = '○ reconnecting';
    await new Promise((r) => setTimeout(r, 2000));
    if (ctl.signal.aborted) return;
  }
}

export function stopLive() {
  if (liveAbort) liveAbort.abort();
}
