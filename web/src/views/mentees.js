// Mentees: needs, pairs, hours and fee against the caps, tours.
import { state, pidPath } from '../core/state.js';
import { h } from '../core/dom.js';
import { esc, euro, hours, bar } from '../core/format.js';
import { api } from '../core/api.js';
import { can } from '../core/permissions.js';
import { onSubmit } from '../core/forms.js';
import { fig, hoursBy, hoursMap, hoursRows, budgetExplain } from '../core/explain.js';

export async function menteesView(main) {
  const [ms, prog, byMentee, b, tours] = await Promise.all([api(`${pidPath()}/mentees`), api(pidPath()), hoursBy('mentee'),
    api(`${pidPath()}/budget?explain=1`).catch((err) => { if (err.status === 401) throw err; return null; }), api(`${pidPath()}/tours`)]);
  const r = prog.rules;
  const hoursOf = hoursMap(byMentee);
  const feeOf = new Map((b?.mentees || []).map((m) => [m.mentee_id, m]));
  const tourName = new Map(tours.tours.map((t) => [t.id, t.region]));
  const maxTours = tours.max_tours_per_mentee ?? r.max_tours_per_mentee;
  const writable = !state.asOf && can.coordinate();
  const needsCell = (m) => {
    if (m.needs === undefined) return '<span class="who">—</span>';
    const n = m.needs;
    return `${n ? `<ul class="needs">${n.areas.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>${n.note ? `<p class="who">${esc(n.note)}</p>` : ''}` : '<span class="warn">not diagnosed</span>'}
      ${writable ? `<details><summary>${n ? 'Diagnose again' : 'Diagnose'}</summary><form class="diagnose" data-mentee="${esc(m.id)}" aria-label="Diagnose the needs of ${esc(m.name)}">
        <fieldset><legend>Knowledge areas needed</legend>${r.knowledge_areas.map((a) => `<label class="check"><input type="checkbox" name="areas" value="${esc(a)}" ${n?.areas.includes(a) ? 'checked' : ''}> ${esc(a)}</label>`).join('')}</fieldset>
        <label>Note <input name="note" value="${esc(n?.note || '')}"></label><button type="submit">Record the diagnosis</button></form></details>` : ''}`;
  };
  main.replaceChildren(h(`<h2>Mentees <small class="who">at position ${ms.position}</small></h2>
    <p class="who">Caps per mentee: ${hours(r.hour_cap_minutes)} and ${euro(r.fee_cap_cents)} (VAT excluded), over every pair; at most ${maxTours} study tours. Each figure opens the events it was summed from.</p>
    <div class="scroll"><table id="mentees-table"><thead><tr><th>Mentee</th><th>Country</th><th>Needs</th><th>Pairs</th><th>Hours (of cap)</th><th>Fee invoiced net (of cap)</th><th>Tours</th></tr></thead>
    <tbody>${ms.mentees.map((m) => {
      const cap = m.minutes_used + m.minutes_left;
      const hx = hoursRows(hoursOf.get(m.id));
      const line = feeOf.get(m.id);
      const fx = line ? budgetExplain(line, b, m.name) : {};
      return `<tr data-mentee="${esc(m.id)}"><td><b>${esc(m.name)}</b><br>${esc(m.cluster_name)}${m.withdrawn ? '<br><span class="warn">withdrawn</span>' : ''}</td><td>${esc(m.country)}</td>
      <td class="needs-cell">${needsCell(m)}</td>
      <td><ul class="plain">${m.pairs.map((id) => `<li><a href="#pair/${encodeURIComponent(id)}">${esc(id)}</a>${id === m.active_pair ? ' (active)' : ''}</li>`).join('')}</ul>
        ${writable && !m.active_pair && !m.withdrawn && can.views().includes('matching') ? `<a href="#matching/${encodeURIComponent(m.id)}">Find a mentor</a>` : ''}</td>
      <td>${bar(m.minutes_used, cap, { label: 'hours used' })}<span class="barlabel mentee-hours">${fig(m.minutes_used, hx && { title: `Hours of ${m.name}`, rows: hx }, 'minutes')} of ${hours(cap)}, ${hours(m.minutes_left)} left</span></td>
      <td>${bar(m.net_invoiced_cents, r.fee_cap_cents, { label: 'fee cap used' })}<span class="barlabel mentee-fee">${fig(m.net_invoiced_cents, fx.net)} of ${euro(r.fee_cap_cents)}; agreed ${fig(m.agreed_cents, fx.agreed)}, ${euro(m.fee_left_cents)} left</span></td>
      <td>${m.tours.length} of ${maxTours}${m.tours.length ? `<br><span class="who">${esc(m.tours.map((t) => tourName.get(t) || t).join(', '))}</span>` : ''}</td></tr>`;
    }).join('')}</tbody></table></div>`));
  main.querySelectorAll('form.diagnose').forEach((f) => onSubmit(f, (d) => api(`/v1/mentees/${encodeURIComponent(f.dataset.mentee)}/needs`, {
    method: 'POST', body: { areas: d.getAll('areas'), note: d.get('note') } })));
}
