// The register of applications: eligibility and why not, accept or reject.
import { state, pidPath } from '../core/state.js';
import { $, h } from '../core/dom.js';
import { esc, euro } from '../core/format.js';
import { api } from '../core/api.js';
import { route } from '../core/router.js';
import { can } from '../core/permissions.js';
import { onSubmit, nextId } from '../core/forms.js';

const appsUi = { status: '', eligible: '', profile: '', country: '' };

export async function applicationsView(main) {
  const data = await api(`${pidPath()}/applications`);
  const apps = data.applications;
  const shown = apps.filter((a) => (!appsUi.status || a.status === appsUi.status) && (!appsUi.eligible || String(a.eligible) === appsUi.eligible) &&
    (!appsUi.profile || a.profile === appsUi.profile) && (!appsUi.country || a.country === appsUi.country));
  const writable = !state.asOf && can.coordinate();
  const mentorIds = apps.map((a) => a.mentor_id).filter(Boolean);
  const suggestId = nextId(mentorIds, `${state.programme}-mentor-`);
  const count = (f) => apps.filter(f).length;
  const select = (id, label, values, current) => `<label>${label} <select id="${id}"><option value="">all</option>${values
    .map(([v, text]) => `<option value="${esc(v)}" ${v === current ? 'selected' : ''}>${esc(text)}</option>`).join('')}</select></label>`;
  main.replaceChildren(h(`<h2>Applications <small class="who">at position ${data.position}</small></h2>
    <p class="who" id="apps-summary">${apps.length} shown by the ledger: ${count((a) => a.status === 'submitted')} to decide, ${count((a) => a.status === 'accepted')} accepted, ${count((a) => a.status === 'rejected')} rejected; ${count((a) => !a.eligible)} not eligible under the rules in force.</p>
    <div class="filters">
      ${select('a-status', 'Status', [['submitted', 'submitted'], ['accepted', 'accepted'], ['rejected', 'rejected']], appsUi.status)}
      ${select('a-eligible', 'Eligible', [['true', 'eligible'], ['false', 'not eligible']], appsUi.eligible)}
      ${select('a-profile', 'Profile', [['cluster_manager', 'cluster manager'], ['expert', 'expert']], appsUi.profile)}
      ${select('a-country', 'Country', [...new Set(apps.map((a) => a.country))].sort().map((c) => [c, c]), appsUi.country)}
    </div>
    <div class="scroll"><table id="applications-table"><thead><tr><th>Applicant</th><th>Country</th><th>Profile</th><th>Knowledge areas</th><th class="num">Quotation</th><th>Received</th><th>Eligible</th><th>Status</th>${writable ? '<th>Decide</th>' : ''}</tr></thead>
    <tbody>${shown.map((a) => `<tr data-application="${esc(a.id)}" data-status="${esc(a.status)}">
      <td><b>${esc(a.applicant_name)}</b><br>${esc(a.organisation)}${a.email ? `<br><span class="who">${esc(a.email)}</span>` : ''}</td>
      <td>${esc(a.country)}</td><td>${esc(a.profile.replace('_', ' '))}, ${a.years_experience} years</td>
      <td>${esc((a.knowledge_areas || []).join(', '))}</td><td class="num">${euro(a.quotation_cents)}</td><td>${esc(a.received_at.slice(0, 10))}</td>
      <td class="eligibility">${a.eligible ? '<span class="ok">eligible</span>'
        : `<span class="warn">not eligible</span><ul class="why">${a.not_eligible_because.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`}</td>
      <td class="status">${esc(a.status)}${a.mentor_id ? `<br>mentor <b>${esc(a.mentor_id)}</b>` : ''}${a.rejection_reason ? `<br><em>${esc(a.rejection_reason)}</em>` : ''}</td>
      ${writable ? `<td>${a.status === 'submitted' ? `
        <form class="decide accept" data-application="${esc(a.id)}" aria-label="Accept the application of ${esc(a.applicant_name)}">
          <label>Mentor id <input name="mentor_id" required value="${esc(suggestId)}"></label><button type="submit">Accept</button></form>
        <form class="decide reject" data-application="${esc(a.id)}" aria-label="Reject the application of ${esc(a.applicant_name)}">
          <label>Reason <input name="reason" required></label><button type="submit" class="quiet">Reject</button></form>` : ''}</td>` : ''}
    </tr>`).join('')}</tbody></table></div>`));
  for (const [id, key] of [['a-status', 'status'], ['a-eligible', 'eligible'], ['a-profile', 'profile'], ['a-country', 'country']])
    $('#' + id).addEventListener('change', (e) => { appsUi[key] = e.target.value; route(); });
  const base = (f) => `/v1/applications/${encodeURIComponent(f.dataset.application)}`;
  main.querySelectorAll('form.accept').forEach((f) => onSubmit(f, (d) => api(base(f) + '/accept', { method: 'POST', body: { mentor_id: String(d.get('mentor_id')).trim() } })));
  main.querySelectorAll('form.reject').forEach((f) => onSubmit(f, (d) => api(base(f) + '/reject', { method: 'POST', body: { reason: d.get('reason') } })));
}
