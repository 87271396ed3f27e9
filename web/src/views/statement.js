// A pair's statement, to print: its sessions, hours, invoices, payments and report.
import { state } from '../core/state.js';
import { $, h } from '../core/dom.js';
import { esc, euro, hours } from '../core/format.js';
import { api } from '../core/api.js';
import { eventAt } from '../core/explain.js';

export async function statementView(main, id) {
  const p = await api(`/v1/pairs/${encodeURIComponent(id)}`);
  const prog = await api(`/v1/programmes/${encodeURIComponent(p.programme_id)}`);
  let report = null;
  if (p.report_position) {
    try { report = (await eventAt(p.report_position)).data; } catch { report = null; }
  }
  const live = p.sessions.filter((s) => !s.voided);
  const payments = p.invoices.flatMap((i) => (i.payments || []).map((y) => ({ ...y, number: i.number })))
    .sort((a, b) => a.position - b.position);
  const credits = p.invoices.flatMap((i) => (i.credit_notes || []).map((c) => ({ ...c, number: i.number })));
  const cap = p.mentee_minutes_used + p.minutes_left;
  main.replaceChildren(h(`<p class="no-print"><a href="#pair/${encodeURIComponent(p.id)}">← The pair</a>
      <button type="button" id="print">Print the statement</button></p>
    <article class="statement" id="statement" aria-labelledby="statement-title">
      <header>
        <p class="who">${esc(prog.name)} · ${esc(prog.coordinator)}</p>
        <h2 id="statement-title">Pair statement ${esc(p.id)}</h2>
        <dl class="facts">
          <dt>Mentor</dt><dd>${esc(p.mentor_name)} (${esc(p.mentor_id)}, ${esc(p.mentor_country)})</dd>
          <dt>Mentee</dt><dd>${esc(p.mentee_name)}, ${esc(p.cluster_name)} (${esc(p.country)})</dd>
          <dt>Period</dt><dd>${esc(p.start_date)} – ${esc(p.end_date)}</dd>
          <dt>Status</dt><dd>${esc(p.status)}</dd>
          <dt>Topics</dt><dd>${esc((p.topics || []).join(', ') || '—')}</dd>
          <dt>As of</dt><dd>${state.asOf ? `the end of ${esc(state.asOf)}, ` : ''}ledger position ${p.position}</dd>
        </dl>
      </header>
      <section aria-labelledby="st-hours"><h3 id="st-hours">Hours</h3>
        <p id="statement-hours">${hours(p.minutes_used)} in ${live.length} session${live.length === 1 ? '' : 's'} with this pair; the mentee has used ${hours(p.mentee_minutes_used)} of the ${hours(cap)} cap (${hours(p.minutes_left)} left).</p>
        <table id="statement-sessions"><thead><tr><th>Date</th><th class="num">Hours</th><th>Mode</th><th>Format</th><th>Topics</th><th>Summary</th><th class="num">Position</th></tr></thead>
        <tbody>${p.sessions.map((x) => `<tr${x.voided ? ' class="voided"' : ''}><td>${esc(x.date)}</td><td class="num">${hours(x.minutes)}</td><td>${esc(x.mode.replace('_', ' '))}</td><td>${esc(x.format)}</td><td>${esc(x.topics.join(', '))}</td><td>${esc(x.summary)}${x.voided ? ` <em>(voided: ${esc(x.void_reason)})</em>` : ''}</td><td class="num">${x.position}</td></tr>`).join('')}</tbody>
        <tfoot><tr><th>Total</th><th class="num">${hours(p.minutes_used)}</th><th colspan="5"></th></tr></tfoot></table>
      </section>
      <section aria-labelledby="st-invoices"><h3 id="st-invoices">Invoices</h3>
        <p>Fee agreed ${euro(p.agreed_fee_cents)}; invoiced net ${euro(p.invoiced_cents - p.credited_cents)}; paid ${euro(p.paid_cents)}.</p>
        <table id="statement-invoices"><thead><tr><th>Number</th><th>Issued</th><th class="num">Net</th><th class="num">VAT</th><th class="num">Credited</th><th class="num">Paid</th><th class="num">Due</th><th class="num">Position</th></tr></thead>
        <tbody>${p.invoices.map((i) => `<tr><td>${esc(i.number)}${i.cancelled ? ` <em>(cancelled${i.cancel_reason ? ': ' + esc(i.cancel_reason) : ''})</em>` : ''}</td><td>${esc(i.issue_date)}</td><td class="num">${euro(i.net_cents)}</td><td class="num">${euro(i.vat_cents)}</td><td class="num">${euro(i.credited_cents)}</td><td class="num">${euro(i.paid_cents)}</td><td class="num">${euro(i.due_cents)}</td><td class="num">${i.position}</td></tr>`).join('')}</tbody></table>
        ${credits.length ? `<h4>Credit notes</h4><table id="statement-credits"><thead><tr><th>Invoice</th><th>Reason</th><th class="num">Amount</th><th class="num">Position</th></tr></thead>
        <tbody>${credits.map((c) => `<tr><td>${esc(c.number)}</td><td>${esc(c.reason)}</td><td class="num">${euro(c.amount_cents)}</td><td class="num">${c.position}</td></tr>`).join('')}</tbody></table>` : ''}
      </section>
      <section aria-labelledby="st-payments"><h3 id="st-payments">Payments</h3>
        ${payments.length ? `<table id="statement-payments"><thead><tr><th>Paid on</th><th>Invoice</th><th class="num">Amount</th><th class="num">Position</th></tr></thead>
        <tbody>${payments.map((y) => `<tr><td>${esc(y.paid_date)}</td><td>${esc(y.number)}</td><td class="num">${euro(y.amount_cents)}</td><td class="num">${y.position}</td></tr>`).join('')}</tbody></table>` : '<p>No payment yet.</p>'}
      </section>
      <section aria-labelledby="st-report" id="statement-report"><h3 id="st-report">Final report</h3>
        ${report ? `<dl class="facts"><dt>Language</dt><dd>${esc(report.language)}</dd><dt>Topics</dt><dd>${esc((report.topics || []).join(', ') || '—')}</dd>
          <dt>Submitted</dt><dd>position ${p.report_position}</dd></dl>
          <h4>Progress</h4><p class="report-text">${esc(report.progress)}</p><h4>Outcomes</h4><p class="report-text">${esc(report.outcomes)}</p>`
        : `<p>${p.report === 'submitted' ? 'Submitted (the text is not readable here).' : 'Not submitted yet.'}</p>`}
      </section>
    </article>`));
  $('#print').addEventListener('click', () => window.print());
}
