// A pair: its figures, sessions, report, invoices, documents and history.
import { state } from '../core/state.js';
import { $, h } from '../core/dom.js';
import { esc, eventType, bar } from '../core/format.js';
import { api } from '../core/api.js';
import { can } from '../core/permissions.js';
import { onSubmit, topicsOf } from '../core/forms.js';
import { rows, fig, invoiceExplain, hoursBy, hoursMap, hoursRows } from '../core/explain.js';
import { evidenceList, evidenceForm, wireEvidenceForm, evidenceGaps, gapBadge, groupBy } from '../core/evidence.js';

// Explain lists for the figures of a pair: the server's (?explain=1) when it
// gives them, else made from the pair as the API gives it (the same events
// the budget sums, pair by pair).
function pairExplain(p, assigned) {
  const ex = p.explain;
  if (ex && ex.minutes_used) {
    return {
      minutes: { title: 'Hours of this pair', rows: rows(ex.minutes_used) },
      agreed: { title: 'Fee agreed', rows: rows(ex.agreed_fee_cents) },
      net: { title: 'Invoiced, net of credit notes', rows: [...rows(ex.invoiced_cents), ...rows(ex.credited_cents, -1)] },
      paid: { title: 'Paid', rows: rows(ex.paid_cents) },
    };
  }
  const inv = [], cred = [], paid = [];
  for (const i of p.invoices) {
    inv.push({ position: i.position, type: 'InvoiceIssued', date: i.issue_date, amount: i.net_cents });
    for (const c of i.credit_notes || []) cred.push({ position: c.position, type: 'CreditNoteIssued', date: c.date || '', amount: c.amount_cents });
    for (const y of i.payments || []) paid.push({ position: y.position, type: 'InvoicePaid', date: y.paid_date, amount: y.amount_cents });
    if (i.cancelled) {
      inv.push({ position: i.cancelled_position, type: 'InvoiceCancelled', date: '', amount: -i.net_cents });
      if (i.credited_cents) cred.push({ position: i.cancelled_position, type: 'InvoiceCancelled', date: '', amount: -i.credited_cents });
    }
  }
  const sessions = p.sessions.filter((s) => !s.voided).map((s) => ({ position: s.position, type: 'SessionLogged', date: s.date, amount: s.minutes }));
  return {
    minutes: { title: 'Hours of this pair', rows: sessions },
    agreed: assigned ? { title: 'Fee agreed', rows: [{ position: assigned.position, type: 'PairAssigned', date: p.start_date, amount: p.agreed_fee_cents }] } : null,
    net: { title: 'Invoiced, net of credit notes', rows: [...inv, ...cred.map((r) => ({ ...r, amount: -r.amount }))] },
    paid: { title: 'Paid', rows: paid },
  };
}
export async function pairView(main, id) {
  const p = await api(`/v1/pairs/${encodeURIComponent(id)}?explain=1`);
  let history = [];
  try { history = (await api(`/v1/streams/pair-${encodeURIComponent(id)}`, { asOf: false })).events; } catch { history = []; }
  const writable = !state.asOf;
  const x = pairExplain(p, history.find((e) => eventType(e) === 'PairAssigned'));
  const [byMentee, gaps] = await Promise.all([hoursBy('mentee'), evidenceGaps()]);
  const menteeHours = hoursRows(hoursMap(byMentee).get(p.mentee_id));
  const cap = p.mentee_minutes_used + p.minutes_left;
  const myGaps = (gaps?.gaps || []).filter((g) => g.pair_id === p.id);
  const pairGaps = myGaps.filter((g) => g.entity === 'pair');
  const invoiceGaps = groupBy(myGaps.filter((g) => g.entity === 'invoice'), 'entity_id');
  const sessionGaps = groupBy(myGaps.filter((g) => g.entity === 'session'), 'session_id');
  const docs = p.evidence || [];
  const sessionDocs = groupBy(docs.filter((d) => d.session_id), 'session_id');
  const evTargets = [['pair', 'the pair', `/v1/pairs/${encodeURIComponent(id)}/evidence`],
    ...p.sessions.filter((s) => !s.voided).map((s) => [`session:${s.id}`, `the session of ${s.date} (${s.id})`,
      `/v1/pairs/${encodeURIComponent(id)}/sessions/${encodeURIComponent(s.id)}/evidence`])];
  main.replaceChildren(h(`<p><a href="#pairs">← Pairs</a> · <a href="#statement/${encodeURIComponent(p.id)}" id="statement-link">Printable statement</a></p>
    <h2>${esc(p.mentee_name)} (${esc(p.cluster_name)}, ${esc(p.country)}) with ${esc(p.mentor_name)}</h2>
    <div class="totals">
      <div>Status<b>${esc(p.status)}</b></div><div>Period<b>${esc(p.start_date)} – ${esc(p.end_date)}</b></div>
      <div>Hours, this pair<b id="pair-hours">${fig(p.minutes_used, x.minutes, 'minutes')}</b></div>
      <div>Mentee's cap left<b id="pair-cap-left">${fig(p.minutes_left, menteeHours && { title: `Hours left to ${p.mentee_name}`, start: { label: 'Hour cap', amount: cap }, rows: menteeHours.map((r) => ({ ...r, amount: -r.amount })) }, 'minutes')}</b></div>
      <div>Fee agreed<b id="pair-agreed">${fig(p.agreed_fee_cents, x.agreed)}</b></div><div>Invoiced<b id="pair-invoiced">${fig(p.invoiced_cents - p.credited_cents, x.net)}</b></div>
      <div>Paid<b id="pair-paid">${fig(p.paid_cents, x.paid)}</b></div><div>Report<b>${esc(p.report)}</b></div>
    </div>
    ${bar(p.mentee_minutes_used, p.mentee_minutes_used + p.minutes_left, { label: 'mentee hours used' })}
    ${p.warnings.map((w) => `<span class="warn">${esc(w.replaceAll('_', ' '))}</span>`).join('')}
    ${myGaps.length ? `<p id="pair-gaps">${gapBadge(myGaps, { short: true })}</p>` : ''}
    ${writable && can.logSession() && p.status === 'active' ? `
    <form class="card" id="log-session" aria-label="Log a session">
      <label>Date <input name="date" type="date" required max="${new Date(Date.now() + 86400000).toISOString().slice(0, 10)}"></label>
      <label>Minutes <input name="minutes" type="number" min="1" step="1" required></label>
      <label>Mode <select name="mode"><option value="remote">remote</option><option value="in_person">in person</option></select></label>
      <label>Format <select name="format"><option value="bilateral">bilateral</option><option value="group">group</option></select></label>
      <label>Topics (comma separated) <input name="topics"></label>
      <label>Summary <input name="summary" required></label>
      <button type="submit">Log session</button>
    </form>
    <form class="card" id="submit-report" aria-label="Submit the report">
      <label>Language <input name="language" value="en" required></label>
      <label>Topics covered (comma separated) <input name="topics" value="${esc((p.topics || []).join(', '))}" required></label>
      <label>Progress <input name="progress" required></label>
      <label>Outcomes <input name="outcomes" required></label>
      <button type="submit">Submit report</button>
    </form>` : ''}
    ${writable && can.invoice() ? `
    <form class="card" id="issue-invoice" aria-label="Issue an invoice">
      <label>Number <input name="number" required></label>
      <label>Issue date <input name="issue_date" type="date" required></label>
      <label>Net (EUR) <input name="net" type="number" min="0.01" step="0.01" required></label>
      <label>VAT (EUR) <input name="vat" type="number" min="0" step="0.01" value="0"></label>
      <button type="submit">Issue invoice</button>
    </form>` : ''}
    <h3>Sessions</h3>
    <div class="scroll"><table id="sessions"><thead><tr><th>Date</th><th class="num">Minutes</th><th>Mode</th><th>Format</th><th>Topics</th><th>Summary</th><th>Position</th><th>Evidence</th></tr></thead>
    <tbody>${p.sessions.map((s) => `<tr data-session="${esc(s.id)}"${s.voided ? ' class="voided"' : ''}><td>${esc(s.date)}</td><td class="num">${s.minutes}</td><td>${esc(s.mode)}</td><td>${esc(s.format)}</td><td>${esc(s.topics.join(', '))}</td><td>${esc(s.summary)}${s.voided ? ` <em>(voided: ${esc(s.void_reason)})</em>` : ''}</td><td>${s.position}</td>
      <td class="evidence-cell">${(sessionDocs.get(s.id) || []).length ? `${sessionDocs.get(s.id).length} document${sessionDocs.get(s.id).length === 1 ? '' : 's'}` : ''}${gapBadge(sessionGaps.get(s.id))}</td></tr>`).join('')}</tbody></table></div>
    <h3>Invoices</h3>
    <div class="scroll"><table id="invoices"><thead><tr><th>Number</th><th>Date</th><th class="num">Net</th><th class="num">Credited</th><th class="num">Paid</th><th class="num">Due</th><th>Evidence</th><th></th></tr></thead>
    <tbody>${p.invoices.map((i) => [i, invoiceExplain(i)]).map(([i, ix]) => `<tr data-invoice="${esc(i.id)}"><td><a href="#invoice/${encodeURIComponent(i.id)}" class="invoice-link">${esc(i.number)}</a>${i.cancelled ? ' <em>(cancelled)</em>' : ''}</td><td>${esc(i.issue_date)}</td><td class="num">${fig(i.net_cents, ix.net)}</td><td class="num">${fig(i.credited_cents, ix.credited)}</td><td class="num">${fig(i.paid_cents, ix.paid)}</td><td class="num">${fig(i.due_cents, ix.due)}</td>
      <td class="control-cell">${(i.evidence || []).length} document${(i.evidence || []).length === 1 ? '' : 's'}${i.verification ? ` · <span class="ok">verified</span>` : ''}${gapBadge(invoiceGaps.get(i.id))}</td>
      <td>${writable && can.invoice() && (i.due_cents > 0 || i.vat_due_cents > 0) ? `<form class="pay" data-invoice="${esc(i.id)}" aria-label="Record a payment of ${esc(i.number)}"><label>Paid on <input name="paid_date" type="date" required></label><label>Amount, VAT excluded (EUR) <input name="amount" type="number" min="0" step="0.01" value="${(i.due_cents / 100).toFixed(2)}" required></label><label>VAT (EUR) <input name="vat" type="number" min="0" step="0.01" value="${((i.vat_due_cents || 0) / 100).toFixed(2)}"></label><button type="submit">Record payment</button></form>` : ''}</td></tr>`).join('')}</tbody></table></div>
    <h3>Documents</h3>
    ${evidenceList(docs, { id: 'pair-evidence', empty: 'No document attached to the pair or its sessions.' })}
    ${writable && can.attachPair() ? evidenceForm('attach-pair-evidence', evTargets, 'Attach a document to the pair or a session', 'report') : ''}
    <h3>History</h3>
    <ol class="receipt">${history.map((e) => `<li>${esc(e.time)} #${e.position} ${esc(e.type.replace('eu.programme-ledger.', ''))} by ${esc(e.actor)}</li>`).join('')}</ol>`));
  const base = `/v1/pairs/${encodeURIComponent(id)}`;
  const f = $('#log-session');
  if (f) onSubmit(f, (d) => api(base + '/sessions', { method: 'POST', body: {
    id: 's-' + Date.now().toString(36), date: d.get('date'), minutes: Number(d.get('minutes')), mode: d.get('mode'), format: d.get('format'),
    topics: topicsOf(d.get('topics')), summary: d.get('summary') } }));
  const r = $('#submit-report');
  if (r) onSubmit(r, (d) => api(base + '/report', { method: 'POST', body: { language: d.get('language'), topics: topicsOf(d.get('topics')), progress: d.get('progress'), outcomes: d.get('outcomes') } }));
  const inv = $('#issue-invoice');
  if (inv) onSubmit(inv, (d) => api(base + '/invoices', { method: 'POST', body: {
    id: id + '-' + Date.now().toString(36), number: d.get('number'), issue_date: d.get('issue_date'),
    net_cents: Math.round(Number(d.get('net')) * 100), vat_cents: Math.round(Number(d.get('vat') || 0) * 100) } }));
  wireEvidenceForm($('#attach-pair-evidence'), evTargets);
  main.querySelectorAll('form.pay').forEach((pf) => onSubmit(pf, (d) => api(`/v1/invoices/${encodeURIComponent(pf.dataset.invoice)}/payments`, {
    method: 'POST', body: { paid_date: d.get('paid_date'), amount_cents: Math.round(Number(d.get('amount')) * 100), vat_cents: Math.round(Number(d.get('vat') || 0) * 100) } })));
}
