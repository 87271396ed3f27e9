// The audit view: the head receipt and the chain verified, the signed
// checkpoint, exports and the audit pack, evidence gaps and late entries, the
// timeline of events.
import { state, pidPath } from '../core/state.js';
import { $, h } from '../core/dom.js';
import { esc, words } from '../core/format.js';
import { api } from '../core/api.js';
import { route } from '../core/router.js';
import { can } from '../core/permissions.js';
import { retentionText } from './rules.js';
import { SEEN, checkLog } from './audit_log.js';

const auditUi = { type: '', stream: '', from: 1, days: 30 };

const LATE = {
  session_late: 'session recorded late', application_after_deadline: 'application recorded after the deadline',
  payment_before_invoice: 'payment dated before its invoice', invoice_before_first_session: "invoice dated before the pair's first session",
};
const entityLink = (entity, id, pairId) => (entity === 'invoice' ? `<a href="#invoice/${encodeURIComponent(id)}">${esc(id)}</a>`
  : entity === 'pair' || entity === 'session' ? `<a href="#pair/${encodeURIComponent(pairId || id)}">${esc(id)}</a>` : esc(id));

// The auditor's look at the programme: the evidence the rules ask for and no
// document gives, and the entries recorded late or dated oddly.
async function auditControl() {
  if (!can.readControl()) return '';
  const quiet = (promise) => promise.catch((err) => { if (err.status === 401) throw err; return { error: err }; });
  const [prog, gaps, late] = await Promise.all([quiet(api(pidPath())), quiet(api(`${pidPath()}/audit/evidence-gaps`)),
    quiet(api(`${pidPath()}/audit/late-entries?days=${auditUi.days}`))]);
  const failed = (x) => `<p class="error" role="alert">${esc(x.error.message)}</p>`;
  return `<section class="card" id="audit-control" aria-label="Control of the programme">
      <h3>${esc(prog.name || state.programme)}: evidence and late entries</h3>
      ${prog.error ? '' : `<p id="retention">${retentionText(prog)}</p>`}
      <h4 id="gaps-title">Evidence gaps</h4>
      ${gaps.error ? failed(gaps) : `<p class="who" id="gaps-summary"><b id="gaps-count">${gaps.count}</b> missing; the rules ask for ${gaps.required.length ? gaps.required.map((r) => `<code>${esc(r)}</code>`).join(', ') : 'no document'}.</p>
      <div class="scroll"><table id="gaps-table" aria-labelledby="gaps-title"><thead><tr><th>Step</th><th>Missing</th><th>Entity</th><th>Pair</th><th>Mentee</th><th class="num">Position</th></tr></thead>
      <tbody>${gaps.gaps.map((g) => `<tr data-entity="${esc(g.entity)}" data-id="${esc(g.entity_id)}" data-kind="${esc(g.kind)}"${g.session_id ? ` data-session="${esc(g.session_id)}"` : ''}>
        <td>${esc(g.step)}</td><td><span class="warn">${esc(words(g.kind))}</span></td><td>${esc(g.entity)} ${entityLink(g.entity, g.entity_id, g.pair_id)}${g.session_id ? ' / ' + esc(g.session_id) : ''}</td>
        <td>${g.pair_id ? `<a href="#pair/${encodeURIComponent(g.pair_id)}">${esc(g.pair_id)}</a>` : ''}</td><td>${esc(g.mentee_id || '')}</td><td class="num">${g.position}</td></tr>`).join('') || '<tr><td colspan="6">No gap.</td></tr>'}</tbody></table></div>`}
      <h4 id="late-title">Late and odd entries</h4>
      <form class="filters" id="late-form" aria-label="Late entries">
        <label>Sessions recorded more than <input name="days" type="number" min="0" max="3650" step="1" required value="${auditUi.days}"> days after they took place</label>
        <button type="submit">Show</button>
      </form>
      ${late.error ? failed(late) : `<div class="scroll"><table id="late-table" aria-labelledby="late-title" data-days="${late.days}"><thead><tr><th>What</th><th>Entity</th><th>Dated</th><th>Recorded</th><th class="num">Days late</th><th class="num">Position</th><th>Detail</th></tr></thead>
      <tbody>${late.entries.map((e) => `<tr data-type="${esc(e.type)}" data-id="${esc(e.entity_id)}" data-position="${e.position}">
        <td>${esc(LATE[e.type] || words(e.type))}</td><td>${esc(e.entity)} ${entityLink(e.entity, e.entity_id, e.pair_id)}</td><td>${esc(e.date)}</td><td>${esc((e.recorded_at || '').slice(0, 16).replace('T', ' '))}</td>
        <td class="num">${e.days_late ?? ''}</td><td class="num">${e.position}</td><td>${esc(e.detail)}</td></tr>`).join('') || '<tr><td colspan="7">None.</td></tr>'}</tbody></table></div>`}
    </section>`;
}

export async function auditView(main) {
  const control = await auditControl();
  const head = await api('/v1/audit/head', { asOf: false });
  const q = new URLSearchParams({ from: String(auditUi.from), limit: '50' });
  if (auditUi.type) q.set('type', auditUi.type);
  if (auditUi.stream) q.set('stream', auditUi.stream);
  const page = await api('/v1/events?' + q, { asOf: false });
  main.replaceChildren(h(`<h2>Audit</h2>
    <section class="card" aria-label="Head receipt">
      <h3>Head receipt</h3>
      <p class="receipt" id="head">position <b>${head.position}</b> · hash <b>${esc(head.hash)}</b> · recorded ${esc(head.recorded_at || '—')}</p>
      <button type="button" id="verify">Verify the chain</button> <span id="verify-result" aria-live="polite"></span>
    </section>
    <section class="card" aria-label="Signed checkpoint">
      <h3>Signed checkpoint</h3>
      <div class="totals" id="cp-fields">
        <div>Origin<b class="receipt" id="cp-origin">…</b></div><div>Size<b id="cp-size">…</b></div><div class="wide">Root<b class="receipt" id="cp-root">…</b></div>
      </div>
      <pre class="receipt note" id="checkpoint" aria-label="The signed checkpoint as the server sent it"></pre>
      <form class="keyform" id="verifier-form" aria-label="Verifier key">
        <label>Verifier key <input id="verifier-key" name="verifier" autocomplete="off" spellcheck="false" placeholder="programme-ledger/…+1a2b3c4d+AbC…" value="${esc(localStorage.getItem(SEEN.key) || '')}"></label>
        <button type="submit">Keep this key</button>
      </form>
      <p class="who">Paste the verifier key once, from <code>ledger key show</code> or another channel you trust. It is not fetched from this server: a key the server hands out would prove nothing.</p>
      <p id="cp-signature" data-state="pending" aria-live="polite">checking…</p>
      <p id="cp-consistency" data-state="pending" aria-live="polite"></p>
    </section>
    <section class="card" aria-label="Export">
      <h3>Export</h3>
      <button type="button" class="quiet" data-export="ndjson">Download NDJSON</button>
      <button type="button" class="quiet" data-export="csv">Download CSV</button>
      ${can.pack() ? `<button type="button" class="quiet" id="pack" disabled>Download the audit pack</button> <span id="pack-result" aria-live="polite"></span>` : ''}
    </section>
    ${control}
    <h3>Timeline</h3>
    <form class="filters" id="timeline-filters">
      <label>Type <input name="type" value="${esc(auditUi.type)}" placeholder="SessionLogged"></label>
      <label>Stream <input name="stream" value="${esc(auditUi.stream)}" placeholder="pair-tnst-2019-p07"></label>
      <label>From position <input name="from" type="number" min="1" value="${auditUi.from}"></label>
      <button type="submit">Show</button>
    </form>
    <p id="timeline-proof" data-state="unchecked" aria-live="polite" class="who">Each event below is proved once the signed checkpoint is verified with your key.</p>
    <div class="scroll"><table id="timeline"><thead><tr><th>Position</th><th>Recorded</th><th>Type</th><th>Stream</th><th>Actor</th><th>Hash</th><th>Proved</th></tr></thead>
    <tbody>${page.events.map((e) => `<tr data-position="${e.position}"><td>${e.position}</td><td>${esc(e.time)}</td><td>${esc(e.type.replace('eu.programme-ledger.', ''))}</td><td>${esc(e.subject)}</td><td>${esc(e.actor)}</td><td class="receipt">${esc(e.hash.slice(0, 16))}…</td><td class="proved"></td></tr>`).join('')}</tbody></table></div>
    ${page.next ? `<button type="button" class="quiet" id="more">Next page</button>` : ''}`));
  $('#verify').addEventListener('click', async () => {
    $('#verify-result').textContent = 'verifying…';
    const v = await api('/v1/audit/verify', { asOf: false });
    $('#verify-result').innerHTML = v.ok
      ? `<span class="ok">ok: ${v.checked} events, head ${v.head.position} ${esc(v.head.hash)}</span>`
      : `<span class="error">broken at position ${v.first_bad_position}: ${esc(v.problem)}</span>`;
  });
  const lf = $('#late-form');
  if (lf) lf.addEventListener('submit', (e) => {
    e.preventDefault();
    auditUi.days = Number(new FormData(lf).get('days') || 30);
    lf.querySelector('input').blur();
    route();
  });
  $('#timeline-filters').addEventListener('submit', (e) => {
    e.preventDefault();
    const d = new FormData(e.target);
    Object.assign(auditUi, { type: String(d.get('type') || ''), stream: String(d.get('stream') || ''), from: Number(d.get('from') || 1) });
    route();
  });
  const more = $('#more');
  if (more) more.addEventListener('click', () => { auditUi.from = page.next; route(); });
  $('#verifier-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const v = $('#verifier-key').value.trim();
    if (v) localStorage.setItem(SEEN.key, v);
    else localStorage.removeItem(SEEN.key);
    $('#verifier-key').blur();
    route();
  });
  const pack = $('#pack');
  if (pack) pack.addEventListener('click', async () => {
    const out = $('#pack-result');
    out.textContent = 'preparing…';
    try {
      const res = await fetch(pack.dataset.href, { headers: { Authorization: 'Bearer ' + state.token } });
      if (!res.ok) {
        let msg = `HTTP ${res.status}`;
        try { msg = (await res.json()).error.message || msg; } catch { /* not JSON */ }
        throw new Error(msg);
      }
      const url = URL.createObjectURL(await res.blob());
      const a = Object.assign(document.createElement('a'), { href: url, download: `ledger-audit-pack-${pack.dataset.at}.tar` });
      document.body.append(a);
      a.click();
      a.remove();
      URL.revokeObjectURL(url);
      out.textContent = '';
    } catch (err) {
      out.innerHTML = `<span class="error">the audit pack could not be downloaded: ${esc(err.message)}</span>`;
    }
  });
  checkLog({
    origin: $('#cp-origin'), size: $('#cp-size'), root: $('#cp-root'), note: $('#checkpoint'),
    signature: $('#cp-signature'), consistency: $('#cp-consistency'), pack,
    events: page.events, proof: $('#timeline-proof'),
  });
  main.querySelectorAll('[data-export]').forEach((b) => b.addEventListener('click', async () => {
    const res = await fetch('/v1/audit/export?format=' + b.dataset.export, { headers: { Authorization: 'Bearer ' + state.token } });
    const url = URL.createObjectURL(await res.blob());
    const a = Object.assign(document.createElement('a'), { href: url, download: `ledger.${b.dataset.export}` });
    document.body.append(a);
    a.click();
    a.remove();
    URL.revokeObjectURL(url);
  }));
}
