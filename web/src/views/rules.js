// The rules in force and their amendments; how long documents are kept (the
// audit view says it too).
import { state, pidPath } from '../core/state.js';
import { h } from '../core/dom.js';
import { esc, euro, hours, eventType } from '../core/format.js';
import { api } from '../core/api.js';

const RULE_LABELS = {
  hour_cap_minutes: 'Hour cap per mentee', fee_cap_cents: 'Fee cap per mentee (VAT excluded)',
  min_months: 'Shortest pair period (months)', max_months: 'Longest pair period (months)',
  application_deadline: 'Application deadline', cofunding_bp: 'EU co-funding rate',
  mentee_countries: 'Mentee countries', mentor_countries: 'Mentor countries', knowledge_areas: 'Knowledge areas',
  expert_min_years: "An expert's minimum years of experience", max_tours_per_mentee: 'Study tours per mentee',
  vat_eligible: 'VAT is an eligible cost',
  evidence_required: 'Evidence required (step:kind)', retention_years: 'Years documents are kept after the last payment',
};
function ruleValue(key, v) {
  if (Array.isArray(v)) return v.length ? v.join(', ') : key.endsWith('_countries') ? 'any' : '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (key.endsWith('_minutes')) return hours(v);
  if (key.endsWith('_cents')) return euro(v);
  if (key.endsWith('_bp')) return `${(v / 100).toFixed(2)}%`;
  return String(v ?? '—');
}
const ruleKeys = (rules) => [...Object.keys(RULE_LABELS).filter((k) => k in rules), ...Object.keys(rules).filter((k) => !(k in RULE_LABELS)).sort()];
function ruleChanges(before, after) {
  const out = [];
  for (const k of ruleKeys({ ...before, ...after })) {
    const [a, b] = [before[k], after[k]];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (Array.isArray(a) && Array.isArray(b)) {
      const added = b.filter((x) => !a.includes(x));
      const removed = a.filter((x) => !b.includes(x));
      out.push({ key: k, text: `${RULE_LABELS[k] || k}: ${[...added.map((x) => '+ ' + x), ...removed.map((x) => '− ' + x)].join(', ') || 'reordered'}` });
    } else {
      out.push({ key: k, text: `${RULE_LABELS[k] || k}: ${ruleValue(k, a)} → ${ruleValue(k, b)}` });
    }
  }
  return out;
}

export async function rulesView(main) {
  const prog = await api(pidPath());
  let history = null;
  try {
    history = (await api(`/v1/streams/programme-${encodeURIComponent(state.programme)}`, { asOf: false })).events
      .filter((e) => ['ProgrammeOpened', 'ProgrammeRulesAmended'].includes(eventType(e)) && e.position <= prog.position);
  } catch (err) {
    if (err.status !== 403) throw err;
  }
  const versions = (history || []).map((e, i, all) => ({
    e, version: e.rulesversion, changes: i === 0 ? [] : ruleChanges(all[i - 1].data.rules, e.data.rules),
  }));
  const since = new Map();
  for (const v of versions) for (const c of v.changes) since.set(c.key, v.version);
  main.replaceChildren(h(`<h2>Rules of ${esc(prog.name)} <small class="who">at position ${prog.position}</small></h2>
    <p>In force: <b id="rules-version">version ${prog.rules_version}</b>${prog.closed ? ' · <span class="warn">the programme is closed</span>' : ''}. Every command is checked against the version in force when it is written.</p>
    ${retentionText(prog) ? `<p id="retention">${retentionText(prog)}</p>` : ''}
    <div class="scroll"><table id="rules-table"><thead><tr><th>Rule</th><th>Value</th><th>Since</th></tr></thead>
    <tbody>${ruleKeys(prog.rules).map((k) => `<tr data-rule="${esc(k)}"><th scope="row">${esc(RULE_LABELS[k] || k)}</th><td>${esc(ruleValue(k, prog.rules[k]))}</td>
      <td>${history ? `version ${since.get(k) || 1}` : ''}</td></tr>`).join('')}</tbody></table></div>
    <h3>History of the rules</h3>
    ${history ? `<ol class="amendments" id="rules-history" reversed>${[...versions].reverse().map((v) => `<li data-version="${v.version}" data-position="${v.e.position}">
      <b>Version ${v.version}</b> · ${eventType(v.e) === 'ProgrammeOpened' ? 'the rules the programme opened with' : 'amended'} · recorded ${esc(v.e.time)} by ${esc(v.e.actor)} · position ${v.e.position}
      ${v.e.data.reason ? `<p class="reason">Reason: ${esc(v.e.data.reason)}</p>` : ''}
      ${v.changes.length ? `<ul class="changes">${v.changes.map((c) => `<li>${esc(c.text)}</li>`).join('')}</ul>` : ''}</li>`).join('')}</ol>`
    : '<p class="who">The history of amendments is in the programme\'s stream, which this role does not read.</p>'}`));
}

// How long documents are kept, as the programme says.
export function retentionText(prog) {
  if (prog.retain_until === undefined) return '';
  return prog.retain_until
    ? `Documents are kept until <b id="retain-until">${esc(prog.retain_until)}</b>: 31 December of the year of the last payment (${esc(prog.last_payment_date)}) plus ${prog.retention_years} years.`
    : `Documents are kept until <b id="retain-until">—</b>: nothing is paid yet; then until 31 December of the year of the last payment plus ${prog.retention_years} years.`;
}
