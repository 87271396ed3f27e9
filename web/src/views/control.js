// The control of spending: samples anyone can draw again, the
// verification of what they select, the findings register and its corrections.
// The error types and the sources of findings are the invoice view's too.
import { state, pidPath } from '../core/state.js';
import { $, h, toast } from '../core/dom.js';
import { esc, euro, words } from '../core/format.js';
import { api } from '../core/api.js';
import { route } from '../core/router.js';
import { can } from '../core/permissions.js';
import { formErrors, onSubmit, cents, nextId } from '../core/forms.js';

export const ERROR_TYPES = ['ineligible_cost', 'missing_evidence', 'calculation', 'double_funding', 'outside_period', 'other'];
export const FINDING_SOURCES = { controller: 'controller', audit_authority: 'audit authority', commission: 'Commission', court_of_auditors: 'Court of Auditors', olaf: 'OLAF' };
export const controlUi = { finding: null };
const POPULATIONS = { invoices_paid: 'invoices paid', invoices: 'invoices', sessions: 'sessions' };
const METHODS = { monetary_unit: 'monetary-unit sampling', simple_random: 'simple random sampling' };

function sampleWhy(s) {
  const mus = s.method === 'monetary_unit';
  const req = s.request;
  const seedWhy = req
    ? `the hash of event #${s.seed_position}, the first written after the request #${req.position}: unknown when the sample was asked for, and fixed for good once written`
    : `the hash of event #${s.position - 1}, the one just before the draw (a sample drawn at once, before requests existed)`;
  return `<dl class="facts" id="sample-why">
      ${req ? `<dt>Requested</dt><dd id="sample-request">${esc(req.recorded_at)} by ${esc(req.recorded_by)}, event #${req.position}${s.reason ? `: ${esc(s.reason)}` : ''}</dd>` : ''}
      <dt>Drawn</dt><dd id="sample-drawn">${s.status === 'drawn' ? `${esc(s.recorded_at)} by ${esc(s.recorded_by)}, event #${s.position}` : 'not yet'}</dd>
      <dt>Seed</dt><dd>${s.seed ? `<span class="receipt" id="sample-seed">${esc(s.seed)}</span><br><span class="who">${seedWhy}</span>` : '<span id="sample-seed" class="who">not known yet: it will be the hash of the first event written after the request</span>'}</dd>
      <dt>Population</dt><dd id="sample-population">${s.population_count} ${esc(words(s.population))}${s.population !== 'sessions' ? `, in total <b>${euro(s.population_total_cents)}</b>` : ''}, listed in the order of their ids${req ? ' as they stood at the request' : ''}<br>
        <span class="who">SHA-256 of the listing</span> <span class="receipt" id="sample-population-sha256">${esc(s.population_sha256)}</span></dd>
      <dt>Method</dt><dd>${esc(METHODS[s.method] || s.method)}: ${s.size} asked, ${s.items.length} item${s.items.length === 1 ? '' : 's'} selected</dd>
      ${mus && s.status === 'drawn' ? `<dt>Interval</dt><dd id="sample-interval"><b>${euro(s.interval_cents)}</b> = ${euro(s.population_total_cents)} / ${s.size}${s.start !== undefined ? `; start at cent ${s.start}` : ''}</dd>` : ''}
    </dl>
    ${sampleRequests(s)}
    <p class="who">${mus
      ? 'The cents of the population are laid end to end in the order of the ids; a start in the first interval comes from the seed, and a point falls every interval after it. An item is selected when a point falls among its cents, as many times (hits) as points fall in it: an item larger than the interval is always selected.'
      : 'The items are shuffled from the seed (a partial Fisher–Yates shuffle driven by SHA-256 of the seed), and the first ones drawn are the sample, in the order drawn.'}
      The same seed and population give the same selection: <code>ledger audit sample --pack FILE --sample ${esc(s.id)}</code> draws it again offline.</p>`;
}

// Every request for the sample's population in the programme: a population
// asked for again is shown, whoever reads any of its samples.
function sampleRequests(s) {
  const all = s.population_requests?.requests || [];
  const others = all.filter((r) => r.id !== s.id);
  const item = (r) => `<li data-request="${esc(r.id)}" data-same-listing="${r.same_listing}"><a href="#control/${encodeURIComponent(r.id)}">${esc(r.id)}</a> requested by ${esc(r.requested_by)} at event #${r.position}, ${r.drawn_position ? `drawn at #${r.drawn_position}` : 'not drawn'}${r.same_listing ? ', the same listing' : ', another listing'}</li>`;
  return `<div id="sample-requests" data-count="${all.length}" class="${others.length ? 'warn' : ''}">
      <p>${others.length ? `<b>${all.length} requests</b> for ${esc(words(s.population))} in this programme: this one and ${others.length} other${others.length === 1 ? '' : 's'}` : `The only request for ${esc(words(s.population))} in this programme.`}</p>
      ${others.length ? `<ul class="plain">${others.map(item).join('')}</ul>` : ''}</div>`;
}

export async function controlView(main, sampleId) {
  const [list, fl] = await Promise.all([api(`${pidPath()}/samples`), api(`${pidPath()}/findings`)]);
  const samples = list.samples;
  const chosen = samples.find((s) => s.id === sampleId) || samples[samples.length - 1] || null;
  const writable = !state.asOf;
  // The invoices a sample selected, to show whether each is verified.
  const invoices = new Map();
  if (chosen && chosen.population !== 'sessions')
    await Promise.all(chosen.items.slice(0, 200).map(async (u) => {
      try { invoices.set(u.id, await api(`/v1/invoices/${encodeURIComponent(u.id)}`)); } catch (err) { if (err.status === 401) throw err; }
    }));
  const findings = fl.findings;
  const prefill = controlUi.finding?.programme === state.programme ? controlUi.finding : null;
  controlUi.finding = null;
  const invoiceIds = [...new Set([...samples.flatMap((s) => (s.population === 'sessions' ? [] : s.items.map((u) => u.id))), ...findings.map((f) => f.invoice_id)])].sort();
  const found = findings.reduce((a, f) => a + f.amount_cents, 0);
  const corrected = findings.reduce((a, f) => a + f.corrected_cents, 0);
  const itemLink = (s, u) => (s.population === 'sessions'
    ? `<a href="#pair/${encodeURIComponent(u.id.split('/')[0])}">${esc(u.id)}</a>`
    : `<a href="#invoice/${encodeURIComponent(u.id)}">${esc(invoices.get(u.id)?.number || u.id)}</a> <span class="who">${esc(u.id)}</span>`);
  const verifiedCell = (s, u) => {
    if (s.population === 'sessions') return '';
    const inv = invoices.get(u.id);
    if (!inv) return '';
    const v = inv.verification;
    return v ? `<span class="ok">verified</span> ${euro(v.certified_cents)} certified${v.deducted_cents ? `, ${euro(v.deducted_cents)} deducted` : ''}` : '<span class="warn">not verified</span>';
  };
  main.replaceChildren(h(`<h2>Control of spending <small class="who">${esc(state.programme)}</small></h2>
    <p class="who">A control round: draw a sample, verify each invoice it selects against its documents, record what is found, and finance staff apply the correction.${can.views().includes('audit') ? ' Evidence gaps and late entries are in the <a href="#audit">Audit</a> view.' : ''}</p>
    <section class="card" aria-label="Samples">
      <h3>Samples</h3>
      ${writable && can.control() ? `<form class="card" id="draw-sample" aria-label="Request a sample">
        <label>Sample id <input name="id" required value="${esc(nextId(samples.map((s) => s.id), 'S-'))}"></label>
        <label>Population <select name="population">${Object.entries(POPULATIONS).map(([k, l]) => `<option value="${k}">${esc(l)}</option>`).join('')}</select></label>
        <label>Method <select name="method">${Object.entries(METHODS).map(([k, l]) => `<option value="${k}">${esc(l)}</option>`).join('')}</select></label>
        <label>Size <input name="size" type="number" min="1" step="1" required value="5"></label>
        <label class="wide">Reason <input name="reason" placeholder="the yearly sample of the expenditure paid"></label>
        <button type="submit">Request the sample</button>
        <p class="who wide">Invoices paid are weighed by the amount paid (VAT excluded), invoices by the net invoiced; sessions have no amounts and are drawn at random only. The population is listed when the sample is requested; the seed is the hash of the first event written after the request, unknown when you ask. Every request is listed with the others of its population.</p>
      </form>` : ''}
      <div class="scroll"><table id="samples-table"><thead><tr><th>Sample</th><th>Population</th><th>Method</th><th class="num">Size</th><th class="num">Selected</th><th>Status</th><th>Last event</th><th class="num">Position</th></tr></thead>
      <tbody>${samples.map((s) => `<tr data-sample="${esc(s.id)}"${s === chosen ? ' aria-current="true" class="current"' : ''}><td><a href="#control/${encodeURIComponent(s.id)}">${esc(s.id)}</a></td>
        <td>${esc(words(s.population))}</td><td>${esc(METHODS[s.method] || s.method)}</td><td class="num">${s.size}</td><td class="num">${s.items.length}</td><td class="status">${esc(s.status)}${s.population_requests.count > 1 ? ` <span class="warn" title="requests for this population">${s.population_requests.count} requests</span>` : ''}</td>
        <td>${esc((s.recorded_at || '').slice(0, 10))} ${esc(s.recorded_by || '')}</td><td class="num">${s.position}</td></tr>`).join('') || '<tr><td colspan="8">No sample requested yet.</td></tr>'}</tbody></table></div>
    </section>
    ${chosen ? `<section class="card" id="sample" data-sample="${esc(chosen.id)}" aria-labelledby="sample-title">
      <h3 id="sample-title">Sample ${esc(chosen.id)}: what was selected, and why</h3>
      ${sampleWhy(chosen)}
      ${chosen.status !== 'drawn' && writable && can.control() ? `<p><button type="button" id="draw-requested"${chosen.status === 'seeded' ? '' : ' disabled'}>Draw the sample</button> <span class="who">${chosen.status === 'seeded' ? 'its seed is fixed: the draw follows from it, whoever makes it' : 'waiting for the first event after the request'}</span></p>` : ''}
      <div class="scroll"><table id="sample-items"><thead><tr><th class="num">#</th><th>${chosen.population === 'sessions' ? 'Session (pair/session)' : 'Invoice'}</th><th class="num">Amount</th><th class="num">Hits</th><th>Verification</th><th></th></tr></thead>
      <tbody>${chosen.items.map((u, n) => `<tr data-item="${esc(u.id)}" data-hits="${u.hits}" data-amount="${u.amount_cents}"><td class="num">${n + 1}</td><td>${itemLink(chosen, u)}</td>
        <td class="num">${chosen.population === 'sessions' ? '' : euro(u.amount_cents)}</td><td class="num">${u.hits}</td><td class="verified">${verifiedCell(chosen, u)}</td>
        <td>${chosen.population !== 'sessions' ? `<a href="#invoice/${encodeURIComponent(u.id)}" class="verify-link">${can.control() ? 'Verify, with its documents' : 'Open'}</a>` : ''}</td></tr>`).join('')}</tbody></table></div>
    </section>` : ''}
    <section class="card" id="findings" aria-label="Findings register">
      <h3>Findings register</h3>
      <p id="findings-total">${findings.length} finding${findings.length === 1 ? '' : 's'}: <b>${euro(found)}</b> found, <b>${euro(corrected)}</b> corrected.</p>
      ${writable && can.control() ? `<form class="card" id="record-finding" aria-label="Record a finding">
        <label>Finding id <input name="id" required value="${esc(nextId(findings.map((f) => f.id), `${state.programme}-f`))}"></label>
        <label>Found by <select name="source">${Object.entries(FINDING_SOURCES).map(([k, l]) => `<option value="${k}">${esc(l)}</option>`).join('')}</select></label>
        <label>Invoice id <input name="invoice_id" required list="invoice-ids" value="${esc(prefill?.invoice_id || '')}"></label>
        <datalist id="invoice-ids">${invoiceIds.map((x) => `<option value="${esc(x)}"></option>`).join('')}</datalist>
        <label>Events concerned (positions, comma separated) <input name="positions" required pattern="\\s*\\d+(\\s*,\\s*\\d+)*\\s*" value="${esc((prefill?.positions || []).join(', '))}"></label>
        <label>Error type <select name="error_type">${ERROR_TYPES.map((t) => `<option value="${t}">${words(t)}</option>`).join('')}</select></label>
        <label>Amount (EUR) <input name="amount" type="number" min="0" step="0.01" required></label>
        <label class="wide">Description <input name="description" required></label>
        <button type="submit">Record the finding</button>
      </form>` : ''}
      <div class="scroll"><table id="findings-table"><thead><tr><th>Finding</th><th>Found by</th><th>Invoice</th><th>Events</th><th>Error type</th><th class="num">Amount</th><th class="num">Corrected</th><th>Corrections</th></tr></thead>
      <tbody>${findings.map((f) => `<tr data-finding="${esc(f.id)}" data-corrected="${f.corrected_cents}">
        <td><b>${esc(f.id)}</b><p class="reason">${esc(f.description)}</p><span class="who">recorded ${esc((f.recorded_at || '').slice(0, 10))} by ${esc(f.recorded_by || '')}, position ${f.position}</span></td>
        <td>${esc(FINDING_SOURCES[f.source] || f.source)}</td>
        <td><a href="#invoice/${encodeURIComponent(f.invoice_id)}">${esc(f.invoice_id)}</a>${f.pair_id ? `<br><span class="who">pair ${esc(f.pair_id)}</span>` : ''}</td>
        <td class="receipt">${f.positions.map((x) => `<span class="nowrap">#${x}</span>`).join(', ')}</td><td>${esc(words(f.error_type))}</td>
        <td class="num">${euro(f.amount_cents)}</td><td class="num corrected">${euro(f.corrected_cents)}</td>
        <td><ul class="plain corrections">${f.corrections.map((c) => `<li data-correction="${esc(c.id)}">${euro(c.amount_cents)}: ${esc(c.reason)} <span class="who">(${esc(c.id)}, ${esc(c.recorded_by || '')}, position ${c.position})</span></li>`).join('')}</ul>
          ${writable && can.correct() ? `<details><summary>Apply a correction</summary><form class="correct" data-finding="${esc(f.id)}" aria-label="Apply a correction for finding ${esc(f.id)}">
            <label>Correction id <input name="id" required value="${esc(`${f.id}-c${f.corrections.length + 1}`)}"></label>
            <label>Amount (EUR) <input name="amount" type="number" min="0.01" step="0.01" required value="${(Math.max(0, f.amount_cents - f.corrected_cents) / 100).toFixed(2)}"></label>
            <label>Reason <input name="reason" required></label>
            <button type="submit">Apply the correction</button></form></details>` : ''}</td></tr>`).join('') || '<tr><td colspan="8">No finding recorded.</td></tr>'}</tbody></table></div>
    </section>`));
  const draw = $('#draw-sample');
  if (draw) {
    const method = draw.elements.method;
    draw.elements.population.addEventListener('change', (e) => {
      if (e.target.value === 'sessions') method.value = 'simple_random';
      method.querySelector('option[value="monetary_unit"]').disabled = e.target.value === 'sessions';
    });
    draw.addEventListener('submit', async (e) => {
      e.preventDefault();
      formErrors(draw, null);
      const d = new FormData(draw);
      const body = { id: String(d.get('id')).trim(), population: d.get('population'), method: d.get('method'), size: Number(d.get('size')), reason: String(d.get('reason') || '') };
      try {
        await api(`${pidPath()}/samples`, { method: 'POST', body });
        toast('Sample requested');
        if (location.hash === '#control/' + encodeURIComponent(body.id)) await route();
        else location.hash = '#control/' + encodeURIComponent(body.id);
      } catch (err) {
        formErrors(draw, err);
      }
    });
  }
  const drawRequested = $('#draw-requested');
  if (drawRequested) drawRequested.addEventListener('click', async () => {
    try {
      await api(`${pidPath()}/samples/${encodeURIComponent(chosen.id)}/draw`, { method: 'POST', body: {} });
      toast('Sample drawn');
      await route();
    } catch (err) {
      toast(err.message);
    }
  });
  const rf = $('#record-finding');
  if (rf) onSubmit(rf, (d) => api(`${pidPath()}/findings`, { method: 'POST', body: {
    id: String(d.get('id')).trim(), source: d.get('source'), invoice_id: String(d.get('invoice_id')).trim(),
    positions: String(d.get('positions')).split(',').map((x) => x.trim()).filter(Boolean).map(Number),
    error_type: d.get('error_type'), amount_cents: cents(d.get('amount')), description: d.get('description') } }));
  main.querySelectorAll('form.correct').forEach((f) => onSubmit(f, (d) => api(`/v1/findings/${encodeURIComponent(f.dataset.finding)}/corrections`, {
    method: 'POST', body: { id: String(d.get('id')).trim(), amount_cents: cents(d.get('amount')), reason: d.get('reason') } })));
}
