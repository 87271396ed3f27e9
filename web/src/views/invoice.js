// An invoice: its figures, its documents beside its verification (four
// eyes), the findings on it and their corrections. A finding recorded from
// here opens the control view with the invoice filled in (controlUi).
import { state } from '../core/state.js';
import { $, h } from '../core/dom.js';
import { esc, euro, eventType, words } from '../core/format.js';
import { api } from '../core/api.js';
import { can } from '../core/permissions.js';
import { onSubmit, cents } from '../core/forms.js';
import { fig, invoiceExplain } from '../core/explain.js';
import { evidenceList, evidenceForm, wireEvidenceForm, gapBadge } from '../core/evidence.js';
import { controlUi, ERROR_TYPES, FINDING_SOURCES } from './control.js';

export async function invoiceView(main, iid) {
  const i = await api(`/v1/invoices/${encodeURIComponent(iid)}`);
  const p = await api(`/v1/pairs/${encodeURIComponent(i.pair_id)}`);
  const prog = `/v1/programmes/${encodeURIComponent(p.programme_id)}`;
  const quiet = (promise) => promise.catch((err) => { if (err.status === 401) throw err; return null; });
  const [gaps, samples, findings, history] = await Promise.all([
    can.readControl() ? quiet(api(`${prog}/audit/evidence-gaps`)) : null,
    can.readControl() ? quiet(api(`${prog}/samples`)) : null,
    can.readControl() ? quiet(api(`${prog}/findings`)) : null,
    quiet(api(`/v1/streams/invoice-${encodeURIComponent(iid)}`, { asOf: false })),
  ]);
  const writable = !state.asOf;
  const ix = invoiceExplain(i);
  const netInvoiced = i.net_cents - i.credited_cents;
  const v = i.verification;
  const myGaps = (gaps?.gaps || []).filter((g) => g.entity === 'invoice' && g.entity_id === i.id);
  const inSample = (samples?.samples || []).filter((s) => s.items.some((u) => u.id === i.id));
  const myFindings = (findings?.findings || []).filter((f) => f.invoice_id === i.id);
  const target = [['invoice', 'the invoice', `/v1/invoices/${encodeURIComponent(iid)}/evidence`]];
  main.replaceChildren(h(`<p><a href="#pair/${encodeURIComponent(p.id)}">← ${esc(p.mentor_name)} with ${esc(p.mentee_name)}</a>${can.views().includes('control') ? ' · <a href="#control">Control</a>' : ''}</p>
    <h2>Invoice ${esc(i.number)} <small class="who">${esc(i.id)} · issued ${esc(i.issue_date)} · position ${i.position ?? '—'}</small></h2>
    ${i.cancelled ? `<p class="warn">Cancelled${i.cancel_reason ? ': ' + esc(i.cancel_reason) : ''}</p>` : ''}
    <div class="totals" id="invoice-figures">
      <div>Net<b id="invoice-net">${fig(i.net_cents, ix.net)}</b></div><div>Credited<b id="invoice-credited">${fig(i.credited_cents, ix.credited)}</b></div>
      <div>Net invoiced<b id="invoice-net-invoiced">${fig(netInvoiced, { title: `Invoice ${i.number}, net invoiced`, rows: [...ix.net.rows, ...ix.credited.rows.map((r) => ({ ...r, amount: -r.amount }))] })}</b></div>
      <div>VAT<b>${euro(i.vat_cents)}</b></div><div>Paid<b id="invoice-paid">${fig(i.paid_cents, ix.paid)}</b></div>
      <div>Certified, after corrections<b id="invoice-certified">${v ? euro(v.certified_cents - (i.corrected_cents || 0)) : '—'}</b></div>
      <div>Corrected<b id="invoice-corrected">${euro(i.corrected_cents || 0)}</b></div>
    </div>
    ${inSample.length ? `<p class="who" id="invoice-samples">In sample${inSample.length === 1 ? '' : 's'} ${inSample.map((s) => `<a href="#control/${encodeURIComponent(s.id)}">${esc(s.id)}</a>`).join(', ')}.</p>` : ''}
    <div class="grid2 control-pair">
      <section class="card" id="verification" aria-label="Verification">
        <h3>Verification</h3>
        ${v ? `<p id="verification-state" data-state="verified"><span class="ok">Verified</span>: certified <b>${euro(v.certified_cents)}</b>, deducted <b>${euro(v.deducted_cents)}</b>${v.error_type ? ` (${esc(words(v.error_type))})` : ''} by ${esc(v.recorded_by || v.verified_by || '')} at ${esc(v.recorded_at || v.verified_at || '')}, position ${v.position}${v.sample_id ? `, sample <a href="#control/${encodeURIComponent(v.sample_id)}">${esc(v.sample_id)}</a>` : ''}.</p>
            ${v.note ? `<p class="reason">Note: ${esc(v.note)}</p>` : ''}`
          : `<p id="verification-state" data-state="none"><span class="warn">Not verified yet.</span></p>`}
        ${writable && can.control() && !i.cancelled ? `<form class="card" id="verify-invoice" aria-label="Verify invoice ${esc(i.number)}">
          <p class="who wide">Certified plus deducted is the net invoiced, <b>${euro(netInvoiced)}</b>. Whoever recorded the invoice or a payment of it may not verify it (four eyes).</p>
          <label>Certified (EUR) <input name="certified" type="number" min="0" step="0.01" required value="${((netInvoiced - (v ? v.deducted_cents : 0)) / 100).toFixed(2)}"></label>
          <label>Deducted (EUR) <input name="deducted" type="number" min="0" step="0.01" required value="${((v ? v.deducted_cents : 0) / 100).toFixed(2)}"></label>
          <label>Error type (of a deduction) <select name="error_type"><option value="">none</option>${ERROR_TYPES.map((t) => `<option value="${t}" ${v?.error_type === t ? 'selected' : ''}>${words(t)}</option>`).join('')}</select></label>
          <label>Sample <select name="sample_id"><option value="">none</option>${(samples?.samples || []).map((s) => `<option value="${esc(s.id)}" ${(v ? v.sample_id === s.id : inSample[inSample.length - 1]?.id === s.id) ? 'selected' : ''}>${esc(s.id)}${inSample.includes(s) ? ' (holds this invoice)' : ''}</option>`).join('')}</select></label>
          <label class="wide">Note <input name="note" value="${esc(v?.note || '')}"></label>
          <button type="submit">${v ? 'Verify again' : 'Record the verification'}</button>
        </form>` : ''}
        ${can.control() && !state.asOf ? `<p><a href="#control" id="finding-from-invoice">Record a finding on this invoice</a></p>` : ''}
      </section>
      <section class="card" id="evidence" aria-label="Evidence documents">
        <h3>Evidence documents</h3>
        ${myGaps.length ? `<p id="invoice-gaps">${gapBadge(myGaps)}</p>` : ''}
        ${evidenceList(i.evidence, { id: 'invoice-evidence', empty: 'No document attached to this invoice.' })}
        ${writable && can.attachInvoice() && !i.cancelled ? evidenceForm('attach-invoice-evidence', target, `Attach a document to invoice ${i.number}`, 'invoice') : ''}
      </section>
    </div>
    <h3>Payments and credit notes</h3>
    <div class="scroll"><table id="invoice-payments"><thead><tr><th>Date</th><th>What</th><th class="num">Amount</th><th class="num">VAT</th><th class="num">Position</th></tr></thead>
    <tbody>${[...(i.payments || []).map((y) => ({ date: y.paid_date, what: 'payment', cents: y.amount_cents, vat: y.vat_cents, position: y.position })),
      ...(i.credit_notes || []).map((c) => ({ date: c.date, what: `credit note ${c.id}: ${c.reason}`, cents: c.amount_cents, vat: c.vat_cents, position: c.position }))]
      .sort((a, b) => a.position - b.position).map((r) => `<tr><td>${esc(r.date)}</td><td>${esc(r.what)}</td><td class="num">${euro(r.cents)}</td><td class="num">${euro(r.vat || 0)}</td><td class="num">${r.position}</td></tr>`).join('')
      || '<tr><td colspan="5">None yet.</td></tr>'}</tbody></table></div>
    ${findings ? `<h3>Findings on this invoice</h3>
    <div class="scroll"><table id="invoice-findings"><thead><tr><th>Finding</th><th>Source</th><th>Error type</th><th class="num">Amount</th><th class="num">Corrected</th><th>Description</th></tr></thead>
    <tbody>${myFindings.map((f) => `<tr data-finding="${esc(f.id)}"><td><a href="#control">${esc(f.id)}</a></td><td>${esc(FINDING_SOURCES[f.source] || f.source)}</td><td>${esc(words(f.error_type))}</td>
      <td class="num">${euro(f.amount_cents)}</td><td class="num">${euro(f.corrected_cents)}</td><td>${esc(f.description)}</td></tr>`).join('') || '<tr><td colspan="6">None.</td></tr>'}</tbody></table></div>` : ''}
    ${history ? `<h3>History</h3>
    <ol class="receipt">${history.events.map((e) => `<li>${esc(e.time)} #${e.position} ${esc(eventType(e))} by ${esc(e.actor)}</li>`).join('')}</ol>` : ''}`));
  const vf = $('#verify-invoice');
  if (vf) {
    // Deducted and certified make the net invoiced: one follows the other.
    vf.elements.deducted.addEventListener('input', () => {
      const d = cents(vf.elements.deducted.value);
      if (Number.isFinite(d) && d >= 0 && d <= netInvoiced) vf.elements.certified.value = ((netInvoiced - d) / 100).toFixed(2);
    });
    onSubmit(vf, (d) => {
      const body = { certified_cents: cents(d.get('certified')), deducted_cents: cents(d.get('deducted')) };
      for (const k of ['error_type', 'sample_id', 'note']) if (String(d.get(k) || '').trim()) body[k] = String(d.get(k)).trim();
      return api(`/v1/invoices/${encodeURIComponent(iid)}/verification`, { method: 'POST', body });
    });
  }
  wireEvidenceForm($('#attach-invoice-evidence'), target);
  const ff = $('#finding-from-invoice');
  if (ff) ff.addEventListener('click', () => {
    controlUi.finding = { invoice_id: i.id, positions: [i.position, v?.position].filter(Boolean), programme: p.programme_id };
    if (state.programme !== p.programme_id) { state.programme = p.programme_id; $('#programme').value = p.programme_id; }
  });
}
