// Matching: a mentee's ranked mentor suggestions, and the pair made from one.
import { state, pidPath } from '../core/state.js';
import { $, h, toast } from '../core/dom.js';
import { esc } from '../core/format.js';
import { api } from '../core/api.js';
import { can } from '../core/permissions.js';
import { formErrors, isoToday, cents, nextId } from '../core/forms.js';

export async function matchingView(main, menteeId) {
  const [ms, prog, apps] = await Promise.all([api(`${pidPath()}/mentees`), api(pidPath()), api(`${pidPath()}/applications`)]);
  const open = ms.mentees.filter((m) => !m.withdrawn);
  const chosen = open.find((m) => m.id === menteeId);
  let sg = null;
  let failed = '';
  if (chosen) {
    try {
      sg = await api(`/v1/mentees/${encodeURIComponent(chosen.id)}/mentor-suggestions`);
    } catch (err) {
      if (err.status === 401) throw err;
      failed = `The suggestions could not be read: ${err.message}`;
    }
  }
  const quotation = new Map(apps.applications.filter((a) => a.mentor_id).map((a) => [a.mentor_id, a.quotation_cents]));
  const r = prog.rules;
  const writable = !state.asOf && can.coordinate() && chosen && !chosen.active_pair;
  const pairId = nextId(ms.mentees.flatMap((m) => m.pairs), `${state.programme}-p`);
  const start = isoToday();
  const end = new Date(Date.UTC(Number(start.slice(0, 4)), Number(start.slice(5, 7)) - 1 + r.min_months, Number(start.slice(8, 10)))).toISOString().slice(0, 10);
  const first = sg?.suggestions[0];
  main.replaceChildren(h(`<h2>Matching</h2>
    <form class="filters" id="matching-mentee"><label>Mentee <select name="mentee" id="match-mentee"><option value="">choose a mentee</option>${open.map((m) => `<option value="${esc(m.id)}" ${m.id === menteeId ? 'selected' : ''}>${esc(m.name)} (${esc(m.cluster_name)}, ${esc(m.country)})${m.active_pair ? ' · paired' : ''}</option>`).join('')}</select></label></form>
    ${!chosen ? '<p>Choose a mentee to see the mentors suggested for their needs.</p>' : failed ? `<p class="error" role="alert">${esc(failed)}</p>` : `
    <p id="match-needs">${sg.diagnosed !== false && sg.needs.length ? `Needs: <b>${esc(sg.needs.join(', '))}</b>` : `<span class="warn">No needs diagnosed yet${can.views().includes('mentees') ? ' (<a href="#mentees">diagnose them</a>)' : ''}.</span>`}${chosen.active_pair ? ` · <span class="warn">already paired (<a href="#pair/${encodeURIComponent(chosen.active_pair)}">${esc(chosen.active_pair)}</a>)</span>` : ''}</p>
    <ol class="suggestions" id="suggestions">${sg.suggestions.map((x, i) => `<li class="card suggestion" data-mentor="${esc(x.mentor_id)}" data-score="${x.score}">
      <h3>${i + 1}. ${esc(x.name)} <small class="who">${esc(x.mentor_id)} · ${esc(x.organisation)} · ${esc(x.country)}</small> <span class="score">score <b>${x.score}</b></span></h3>
      <p>Offers: ${x.offered.map((a) => x.matched.includes(a) ? `<mark>${esc(a)}</mark>` : esc(a)).join(', ')} · ${x.active_pairs} active pair${x.active_pairs === 1 ? '' : 's'}</p>
      <table class="parts"><thead><tr><th>Part</th><th class="num">Points</th><th>Why</th></tr></thead>
      <tbody>${x.parts.map((p) => `<tr data-part="${esc(p.name)}"><td>${esc(p.name)}</td><td class="num">${p.points}</td><td>${esc(p.why)}</td></tr>`).join('')}</tbody></table>
      ${writable ? `<button type="button" class="quiet choose" data-mentor="${esc(x.mentor_id)}">Choose ${esc(x.name)}</button>` : ''}
    </li>`).join('') || '<li>No mentor to suggest.</li>'}</ol>
    ${writable ? `<form class="card" id="create-pair" aria-label="Create the pair">
      <label>Pair id <input name="id" required value="${esc(pairId)}"></label>
      <label>Mentor <select name="mentor_id" required>${sg.suggestions.map((x) => `<option value="${esc(x.mentor_id)}">${esc(x.name)} (score ${x.score})</option>`).join('')}</select></label>
      <label>Start <input name="start_date" type="date" required value="${start}"></label>
      <label>End <input name="end_date" type="date" required value="${end}"></label>
      <label>Agreed fee (EUR) <input name="fee" type="number" min="0.01" step="0.01" required value="${(Math.min(r.fee_cap_cents, quotation.get(first?.mentor_id) ?? r.fee_cap_cents) / 100).toFixed(2)}"></label>
      <fieldset class="wide"><legend>Topics</legend>${r.knowledge_areas.map((a) => `<label class="check"><input type="checkbox" name="topics" value="${esc(a)}" ${first?.matched.includes(a) ? 'checked' : ''}> ${esc(a)}</label>`).join('')}</fieldset>
      <label class="wide">Reason to override the match (needed when a topic is not both offered by the mentor and among the needs) <input name="override_reason"></label>
      <button type="submit">Create the pair</button>
    </form>` : ''}`}`));
  $('#match-mentee').addEventListener('change', (e) => { location.hash = '#matching' + (e.target.value ? '/' + encodeURIComponent(e.target.value) : ''); });
  const form = $('#create-pair');
  if (!form) return;
  const pick = (mentorId) => {
    const x = sg.suggestions.find((y) => y.mentor_id === mentorId);
    form.elements.mentor_id.value = mentorId;
    form.querySelectorAll('input[name=topics]').forEach((c) => { c.checked = x.matched.includes(c.value); });
    form.elements.fee.value = (Math.min(r.fee_cap_cents, quotation.get(mentorId) ?? r.fee_cap_cents) / 100).toFixed(2);
  };
  form.elements.mentor_id.addEventListener('change', (e) => pick(e.target.value));
  main.querySelectorAll('button.choose').forEach((b) => b.addEventListener('click', () => { pick(b.dataset.mentor); form.elements.mentor_id.focus(); }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formErrors(form, null);
    const d = new FormData(form);
    const body = { id: d.get('id'), mentor_id: d.get('mentor_id'), mentee_id: chosen.id, start_date: d.get('start_date'), end_date: d.get('end_date'),
      agreed_fee_cents: cents(d.get('fee')), topics: d.getAll('topics') };
    if (String(d.get('override_reason') || '').trim()) body.override_reason = String(d.get('override_reason')).trim();
    try {
      await api(`${pidPath()}/pairs`, { method: 'POST', body });
      toast('Pair created');
      location.hash = '#pair/' + encodeURIComponent(body.id);
    } catch (err) {
      formErrors(form, err);
    }
  });
}
