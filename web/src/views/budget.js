// The budget: agreed, invoiced, paid, the EU and own shares, VAT and the
// control of spending, per mentee and country, with charts and the workbook.
import { Chart, BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend } from 'chart.js';
import { state, pidPath } from '../core/state.js';
import { $, h } from '../core/dom.js';
import { esc, euro, bar } from '../core/format.js';
import { api, download } from '../core/api.js';
import { can } from '../core/permissions.js';
import { fig, budgetExplain } from '../core/explain.js';
import { evidenceGaps, gapBadge, groupBy } from '../core/evidence.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

export async function budgetView(main) {
  const [b, gaps] = await Promise.all([api(`${pidPath()}/budget?explain=1`), evidenceGaps()]);
  const t = b.totals;
  const tx = budgetExplain(t, b, 'programme');
  const gapsOf = groupBy(gaps?.gaps, 'mentee_id');
  const control = t.verified_cents !== undefined;
  main.replaceChildren(h(`<h2>Budget <small class="who">at position ${b.position}</small></h2>
    <div class="totals" id="budget-totals">
      <div>Agreed<b id="total-agreed">${fig(t.agreed_cents, tx.agreed)}</b></div><div>Invoiced, net<b id="total-net">${fig(t.net_invoiced_cents, tx.net)}</b></div>
      <div>Paid<b id="total-paid">${fig(t.paid_cents, tx.paid)}</b></div><div>Outstanding<b id="total-outstanding">${fig(t.outstanding_cents, tx.outstanding)}</b></div>
      <div>EU co-funded (${(t.cofunding_bp / 100).toFixed(2)}%)<b id="eu-share">${fig(t.eu_share_cents, tx.eu)}</b></div><div>Own share<b id="own-share">${fig(t.own_share_cents, tx.own)}</b></div>
    </div>
    <div class="totals" id="budget-vat">
      <div>VAT invoiced, net of credit notes<b id="vat-invoiced">${fig(t.vat_invoiced_cents - t.vat_credited_cents, tx.vatInvoiced)}</b></div><div>VAT paid<b id="vat-paid">${fig(t.vat_paid_cents, tx.vatPaid)}</b></div>
      <div>VAT outstanding<b id="vat-outstanding">${euro(t.vat_outstanding_cents)}</b></div>
      <div>Eligible cost<b id="eligible">${fig(t.eligible_cents, tx.eligible)}</b></div>
      <div>VAT<b id="vat-eligible">${b.vat_eligible ? 'eligible: co-funded' : 'not eligible: not co-funded'}</b></div>
    </div>
    ${control ? `<h3>Control of spending</h3>
    <div class="totals" id="budget-control">
      <div>Verified (net invoiced)<b id="total-verified">${fig(t.verified_cents, tx.verified)}</b></div><div>Certified, after corrections<b id="total-certified">${fig(t.certified_cents, tx.certified)}</b></div>
      <div>Deducted<b id="total-deducted">${fig(t.deducted_cents, tx.deducted)}</b></div><div>Corrected<b id="total-corrected">${fig(t.corrected_cents, tx.corrected)}</b></div>
      <div>EU share of certified<b id="certified-eu-share">${fig(t.certified_eu_share_cents, tx.certifiedEu)}</b></div>
    </div>` : ''}
    ${gaps ? `<p id="budget-gaps">${gaps.count ? `<span class="warn gap" data-gaps="${gaps.count}">${gaps.count} evidence gap${gaps.count === 1 ? '' : 's'}</span> — documents the rules ask for are missing${can.views().includes('audit') ? ' (<a href="#audit">the list</a>)' : ''}.` : '<span class="ok">No evidence gap</span>.'}</p>` : ''}
    <p class="who">${esc(t.rounding)} Difference here: ${euro(t.rounding_difference_cents)}. Each figure opens the events it was summed from.</p>
    <section class="card" aria-label="Finance exports">
      <h3>Finance exports</h3>
      <button type="button" class="quiet" id="xlsx" data-href="${esc(pidPath())}/budget.xlsx">Download the budget workbook (.xlsx)</button>
      <span id="xlsx-result" aria-live="polite"></span>
    </section>
    <div class="grid2">
      <section class="card"><h3>Net invoiced per country</h3><canvas id="chart-country" role="img" aria-label="Net invoiced per country"></canvas></section>
      <section class="card"><h3>Net invoiced per month</h3><canvas id="chart-month" role="img" aria-label="Net invoiced per month"></canvas></section>
    </div>
    <h3>Per mentee (cap ${euro(b.fee_cap_cents)})</h3>
    <div class="scroll"><table id="budget-mentees"><thead><tr><th>Mentee</th><th>Country</th><th>Fee cap: invoiced net (paid)</th><th class="num">Agreed</th><th class="num">Invoiced net</th><th class="num">Paid</th><th class="num">Left</th></tr></thead>
    <tbody>${b.mentees.map((m) => [m, budgetExplain(m, b, m.name)]).map(([m, mx]) => `<tr data-mentee="${esc(m.mentee_id)}"><td>${esc(m.name)}${gapBadge(gapsOf.get(m.mentee_id), { short: true })}</td><td>${esc(m.country)}</td>
      <td>${bar(m.net_invoiced_cents, m.cap_cents, { label: 'fee cap used', extra: `<span class="paid" style="width:${Math.min(100, (m.paid_cents / m.cap_cents) * 100).toFixed(1)}%"></span>` })}</td>
      <td class="num">${fig(m.agreed_cents, mx.agreed)}</td><td class="num">${fig(m.net_invoiced_cents, mx.net)}</td><td class="num">${fig(m.paid_cents, mx.paid)}</td><td class="num">${fig(m.left_cents, mx.left)}</td></tr>`).join('')}</tbody></table></div>
    ${control ? `<h3>Control per mentee</h3>
    <div class="scroll"><table id="budget-control-mentees"><thead><tr><th>Mentee</th><th class="num">Verified</th><th class="num">Certified</th><th class="num">Deducted</th><th class="num">Corrected</th><th class="num">EU share of certified</th><th>Evidence</th></tr></thead>
    <tbody>${b.mentees.map((m) => [m, budgetExplain(m, b, m.name)]).map(([m, mx]) => `<tr data-control-mentee="${esc(m.mentee_id)}"><td>${esc(m.name)}</td>
      <td class="num">${fig(m.verified_cents, mx.verified)}</td><td class="num">${fig(m.certified_cents, mx.certified)}</td><td class="num">${fig(m.deducted_cents, mx.deducted)}</td>
      <td class="num">${fig(m.corrected_cents, mx.corrected)}</td><td class="num">${fig(m.certified_eu_share_cents, mx.certifiedEu)}</td>
      <td>${gaps ? (gapsOf.get(m.mentee_id) ? gapBadge(gapsOf.get(m.mentee_id), { short: true }) : '<span class="ok">complete</span>') : ''}</td></tr>`).join('')}</tbody></table></div>` : ''}
    <h3>Per country</h3>
    <div class="scroll"><table id="budget-countries"><thead><tr><th>Country</th><th class="num">Agreed</th><th class="num">Invoiced net</th><th class="num">Paid</th><th class="num">EU share</th></tr></thead>
    <tbody>${b.countries.map((c) => [c, budgetExplain(c, b, c.country)]).map(([c, cx]) => `<tr data-country="${esc(c.country)}"><td>${esc(c.country)}</td>
      <td class="num">${fig(c.agreed_cents, cx.agreed)}</td><td class="num">${fig(c.net_invoiced_cents, cx.net)}</td><td class="num">${fig(c.paid_cents, cx.paid)}</td><td class="num">${fig(c.eu_share_cents, cx.eu)}</td></tr>`).join('')}</tbody></table></div>`));
  const chart = (id, labels, data) => state.charts.push(new Chart($('#' + id), {
    type: 'bar', data: { labels, datasets: [{ label: 'EUR', data, backgroundColor: '#0b5cad' }] },
    options: { animation: false, plugins: { legend: { display: false } } } }));
  chart('chart-country', b.countries.map((c) => c.country), b.countries.map((c) => c.net_invoiced_cents / 100));
  chart('chart-month', b.months.map((m) => m.month), b.months.map((m) => m.net_invoiced_cents / 100));
  const xlsx = $('#xlsx');
  xlsx.addEventListener('click', () => download(xlsx.dataset.href + (state.asOf ? '?as_of=' + encodeURIComponent(state.asOf + 'T23:59:59Z') : ''),
    `budget-${state.programme}${state.asOf ? '-' + state.asOf : ''}.xlsx`, $('#xlsx-result'), 'the budget workbook'));
}
