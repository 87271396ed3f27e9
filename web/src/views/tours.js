// Study tours and joint meetings.
import { state, pidPath } from '../core/state.js';
import { $, h } from '../core/dom.js';
import { esc, bar } from '../core/format.js';
import { api } from '../core/api.js';
import { can } from '../core/permissions.js';
import { onSubmit } from '../core/forms.js';

const KINDS = { cluster_manager: 'cluster manager', cluster_representative: 'cluster representative', network_manager: 'network manager' };

export async function toursView(main) {
  const [t, jm, pairs, mentees, prog] = await Promise.all([api(`${pidPath()}/tours`), api(`${pidPath()}/joint-meetings`),
    api(`${pidPath()}/pairs`), api(`${pidPath()}/mentees`), api(pidPath())]);
  const max = t.max_tours_per_mentee ?? prog.rules.max_tours_per_mentee;
  const mentee = new Map(mentees.mentees.map((m) => [m.id, m]));
  const pair = new Map(pairs.pairs.map((p) => [p.id, p]));
  const people = (tour) => tour.people || tour.participants.map((id) => ({
    kind: 'cluster_manager', id, mentee_id: id, name: mentee.get(id)?.name || id, organisation: mentee.get(id)?.cluster_name || '', country: mentee.get(id)?.country || '',
  }));
  const toursOf = new Map(mentees.mentees.map((m) => [m.id, []]));
  for (const tour of t.tours) for (const id of tour.participants) (toursOf.get(id) || toursOf.set(id, []).get(id)).push(tour);
  const writable = !state.asOf && can.coordinate();
  main.replaceChildren(h(`<h2>Study tours and joint meetings <small class="who">at position ${t.position}</small></h2>
    <p>A cluster manager joins at most <b id="tour-limit">${max}</b> study tours (${t.tours.length} scheduled); cluster representatives and network managers are not counted.</p>
    ${writable ? `<form class="card" id="register-participant" aria-label="Register a tour participant">
      <label>Tour <select name="tour" required>${t.tours.map((tour) => `<option value="${esc(tour.id)}">${esc(tour.region)} (${esc(tour.start_date)})</option>`).join('')}</select></label>
      <label>Kind <select name="kind">${Object.entries(KINDS).map(([k, v]) => `<option value="${k}">${v}</option>`).join('')}</select></label>
      <label data-for="cluster_manager">Mentee <select name="mentee_id">${mentees.mentees.map((m) => `<option value="${esc(m.id)}">${esc(m.name)} (${esc(m.cluster_name)}) · ${(toursOf.get(m.id) || []).length} of ${max}</option>`).join('')}</select></label>
      <label data-for="other" hidden>Participant id <input name="participant_id"></label>
      <label data-for="other" hidden>Name <input name="name"></label>
      <label data-for="other" hidden>Organisation <input name="organisation"></label>
      <label data-for="other" hidden>Country <input name="country" maxlength="2" placeholder="TN"></label>
      <button type="submit">Register</button>
    </form>` : ''}
    <div class="tours" id="tours">${t.tours.map((tour) => `<section class="card tour" data-tour="${esc(tour.id)}" aria-labelledby="tour-${esc(tour.id)}">
      <h3 id="tour-${esc(tour.id)}">${esc(tour.region)} <small class="who">${esc(tour.start_date)} – ${esc(tour.end_date)}</small></h3>
      <p>Hosted by ${esc(tour.host)}${tour.topics?.length ? ` · topics: ${esc(tour.topics.join(', '))}` : ''}</p>
      <div class="scroll"><table class="people"><thead><tr><th>Participant</th><th>Kind</th><th>Organisation</th><th>Country</th>${writable ? '<th></th>' : ''}</tr></thead>
      <tbody>${people(tour).map((x) => `<tr data-kind="${esc(x.kind)}" data-id="${esc(x.id)}"><td>${esc(x.name)}</td><td>${esc(KINDS[x.kind] || x.kind)}</td><td>${esc(x.organisation)}</td><td>${esc(x.country)}</td>
        ${writable ? `<td><details><summary>Cancel</summary><form class="cancel-participant" data-tour="${esc(tour.id)}" data-${x.kind === 'cluster_manager' ? 'mentee' : 'participant'}="${esc(x.mentee_id || x.id)}" aria-label="Cancel the registration of ${esc(x.name)}">
          <label>Reason <input name="reason" required></label><button type="submit" class="quiet">Cancel the registration</button></form></details></td>` : ''}</tr>`).join('') || `<tr><td colspan="${writable ? 5 : 4}">No participant yet.</td></tr>`}</tbody></table></div>
    </section>`).join('') || '<p>No study tour yet.</p>'}</div>
    <h3>Tours per cluster manager (at most ${max})</h3>
    <div class="scroll"><table id="tour-counts"><thead><tr><th>Mentee</th><th>Cluster</th><th>Tours</th><th>Joined</th></tr></thead>
    <tbody>${[...toursOf].filter(([, list]) => list.length).map(([id, list]) => `<tr data-mentee="${esc(id)}" data-count="${list.length}"><td>${esc(mentee.get(id)?.name || id)}</td><td>${esc(mentee.get(id)?.cluster_name || '')}</td>
      <td>${bar(list.length, max, { label: 'tours joined', high: 99 })}<span class="barlabel">${list.length} of ${max}${list.length >= max ? ' · at the limit' : ''}</span></td>
      <td>${esc(list.map((x) => x.region).join(', '))}</td></tr>`).join('')}</tbody></table></div>
    <h3>Joint meetings</h3>
    <div class="scroll"><table id="joint-meetings"><thead><tr><th>Date</th><th>Title</th><th class="num">Pairs</th><th>Who attended</th></tr></thead>
    <tbody>${jm.joint_meetings.map((m) => `<tr data-meeting="${esc(m.id)}"><td>${esc(m.date)}</td><td>${esc(m.title)}</td><td class="num">${m.pair_ids.length}</td>
      <td><ul class="attendees">${m.pair_ids.map((id) => pair.get(id)).map((p, i) => p
        ? `<li data-pair="${esc(p.id)}"><a href="#pair/${encodeURIComponent(p.id)}">${esc(p.mentor_name)} with ${esc(p.mentee_name)}</a> (${esc(p.cluster_name)}, ${esc(p.country)})</li>`
        : `<li data-pair="${esc(m.pair_ids[i])}">${esc(m.pair_ids[i])}</li>`).join('')}</ul></td></tr>`).join('')}</tbody></table></div>`));
  const reg = $('#register-participant');
  if (reg) {
    const kindChanged = () => {
      const other = reg.elements.kind.value !== 'cluster_manager';
      reg.querySelectorAll('[data-for]').forEach((l) => { l.hidden = (l.dataset.for === 'other') !== other; });
      for (const n of ['participant_id', 'name', 'organisation', 'country']) reg.elements[n].required = other;
    };
    reg.elements.kind.addEventListener('change', kindChanged);
    onSubmit(reg, (d) => api(`/v1/tours/${encodeURIComponent(d.get('tour'))}/participants`, { method: 'POST', body: d.get('kind') === 'cluster_manager'
      ? { mentee_id: d.get('mentee_id') }
      : { kind: d.get('kind'), participant_id: d.get('participant_id'), name: d.get('name'), organisation: d.get('organisation'), country: String(d.get('country')).toUpperCase() } }));
  }
  main.querySelectorAll('form.cancel-participant').forEach((f) => onSubmit(f, (d) => api(`/v1/tours/${encodeURIComponent(f.dataset.tour)}/participants/cancel`, {
    method: 'POST', body: { ...(f.dataset.mentee ? { mentee_id: f.dataset.mentee } : { participant_id: f.dataset.participant }), reason: d.get('reason') } })));
}
