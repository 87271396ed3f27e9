// Hours by mentee, mentor, pair, month, topic, mode or format; each total opens
// the sessions it was summed from.
import { pidPath } from '../core/state.js';
import { $, h } from '../core/dom.js';
import { esc, hours } from '../core/format.js';
import { api } from '../core/api.js';
import { route } from '../core/router.js';
import { fig, hoursRows } from '../core/explain.js';

const hoursUi = { by: 'mentee' };

export async function hoursView(main) {
  const by = hoursUi.by;
  const [hr, pairs] = await Promise.all([api(`${pidPath()}/hours?group_by=${by}&explain=1`), api(`${pidPath()}/pairs`)]);
  const names = new Map();
  for (const p of pairs.pairs) {
    names.set('mentee:' + p.mentee_id, `${p.mentee_name} (${p.cluster_name})`);
    names.set('mentor:' + p.mentor_id, p.mentor_name);
    names.set('pair:' + p.id, `${p.mentor_name} with ${p.mentee_name}`);
  }
  const label = (key) => names.get(`${by}:${key}`) || '';
  const keyCell = (key) => (by === 'pair' ? `<a href="#pair/${encodeURIComponent(key)}">${esc(key)}</a>` : esc(key));
  main.replaceChildren(h(`<h2>Hours <small class="who">at position ${hr.position}</small></h2>
    <div class="filters"><label>Grouped by <select id="hours-by">${['mentee', 'mentor', 'pair', 'month', 'topic', 'mode', 'format']
      .map((v) => `<option ${v === by ? 'selected' : ''}>${v}</option>`).join('')}</select></label></div>
    <p>Total <b id="hours-total">${hours(hr.total_minutes)}</b>. Each total opens the sessions it was summed from.</p>
    <div class="scroll"><table id="hours-table"><thead><tr><th>${esc(by[0].toUpperCase() + by.slice(1))}</th><th></th><th class="num">Sessions</th><th class="num">Hours</th></tr></thead>
    <tbody>${hr.groups.map((g) => `<tr data-key="${esc(g.key)}" data-minutes="${g.minutes}"><td>${keyCell(g.key)}</td><td>${esc(label(g.key))}</td><td class="num">${g.sessions}</td>
      <td class="num">${fig(g.minutes, hoursRows(g) && { title: `Hours, ${by} ${g.key}`, rows: hoursRows(g) }, 'minutes')}</td></tr>`).join('')}</tbody></table></div>`));
  $('#hours-by').addEventListener('change', (e) => { hoursUi.by = e.target.value; route(); });
}
