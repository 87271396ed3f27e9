// The pairs of the programme: filtered, sorted, with hours against the cap.
import { pidPath } from '../core/state.js';
import { $, h } from '../core/dom.js';
import { esc, hours, bar } from '../core/format.js';
import { api } from '../core/api.js';
import { route } from '../core/router.js';
import { fig, hoursBy, hoursMap, hoursRows } from '../core/explain.js';
import { evidenceGaps, gapBadge, groupBy } from '../core/evidence.js';

const pairsUi = { status: '', country: '', mentor: '', sort: 'mentee_name', dir: 1 };

export async function pairsView(main) {
  const [data, byMentee, byPair, gaps] = await Promise.all([api(`${pidPath()}/pairs`), hoursBy('mentee'), hoursBy('pair'), evidenceGaps()]);
  const pairs = data.pairs;
  const gapsOf = groupBy(gaps?.gaps, 'pair_id');
  const [menteeHours, pairHours] = [hoursMap(byMentee), hoursMap(byPair)];
  const hoursCell = (p) => {
    const cap = p.mentee_minutes_used + p.minutes_left;
    const m = hoursRows(menteeHours.get(p.mentee_id));
    const own = hoursRows(pairHours.get(p.id));
    return `${fig(p.mentee_minutes_used, m && { title: `Hours of ${p.mentee_name} (every pair)`, rows: m }, 'minutes')} of ${hours(cap)} (this pair ${fig(p.minutes_used, own && { title: `Hours of pair ${p.id}`, rows: own }, 'minutes')})`;
  };
  const opts = (key) => [...new Set(pairs.map((p) => p[key]).filter(Boolean))].sort();
  const shown = pairs
    .filter((p) => (!pairsUi.status || p.status === pairsUi.status) && (!pairsUi.country || p.country === pairsUi.country) &&
      (!pairsUi.mentor || p.mentor_id === pairsUi.mentor))
    .sort((a, b) => (a[pairsUi.sort] > b[pairsUi.sort] ? 1 : a[pairsUi.sort] < b[pairsUi.sort] ? -1 : 0) * pairsUi.dir);
  const th = (key, label, cls = '') => `<th class="${cls}" aria-sort="${pairsUi.sort === key ? (pairsUi.dir > 0 ? 'ascending' : 'descending') : 'none'}"><button type="button" data-sort="${key}">${label}</button></th>`;
  const select = (id, label, values, current) => `<label>${label} <select id="${id}"><option value="">all</option>${values
    .map((v) => `<option ${v === current ? 'selected' : ''}>${esc(v)}</option>`).join('')}</select></label>`;
  main.replaceChildren(h(`<h2>Pairs <small class="who">at position ${data.position}</small></h2>
    <div class="filters">
      ${select('f-status', 'Status', ['assigned', 'active', 'completed', 'terminated'], pairsUi.status)}
      ${select('f-country', 'Country', opts('country'), pairsUi.country)}
      ${select('f-mentor', 'Mentor', opts('mentor_id'), pairsUi.mentor)}
    </div>
    <div class="scroll"><table id="pairs-table">
      <thead><tr>${th('mentor_name', 'Mentor')}${th('mentee_name', 'Mentee')}${th('cluster_name', 'Cluster')}${th('country', 'Country')}${th('status', 'Status')}${th('start_date', 'Period')}${th('mentee_minutes_used', 'Hours (mentee, of cap)')}${th('last_session_date', 'Last session')}${th('report', 'Report')}<th>Warnings</th></tr></thead>
      <tbody>${shown.map((p) => `<tr data-pair="${esc(p.id)}">
        <td>${esc(p.mentor_name)}</td>
        <td><a href="#pair/${encodeURIComponent(p.id)}">${esc(p.mentee_name)}</a></td>
        <td>${esc(p.cluster_name)}</td><td>${esc(p.country)}</td><td>${esc(p.status)}</td>
        <td>${esc(p.start_date)} – ${esc(p.end_date)}</td>
        <td>${bar(p.mentee_minutes_used, p.mentee_minutes_used + p.minutes_left, { label: 'hours used' })}<span class="barlabel hours-used">${hoursCell(p)}</span></td>
        <td>${esc(p.last_session_date || '—')}</td><td>${esc(p.report)}</td>
        <td>${p.warnings.map((w) => `<span class="warn">${esc(w.replaceAll('_', ' '))}</span>`).join('')}${gapBadge(gapsOf.get(p.id), { short: true })}</td></tr>`).join('')}</tbody>
    </table></div>`));
  for (const [id, key] of [['f-status', 'status'], ['f-country', 'country'], ['f-mentor', 'mentor']])
    $('#' + id).addEventListener('change', (e) => { pairsUi[key] = e.target.value; route(); });
  main.querySelectorAll('th button').forEach((b) => b.addEventListener('click', () => {
    pairsUi.dir = pairsUi.sort === b.dataset.sort ? -pairsUi.dir : 1;
    pairsUi.sort = b.dataset.sort;
    route();
  }));
}
