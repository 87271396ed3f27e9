// Explain: a figure is a button that opens the events it was summed from.
import { state, pidPath } from './state.js';
import { $ } from './dom.js';
import { esc, euro, hours, signedHours, eventType } from './format.js';
import { api } from './api.js';

// An explain list as the API gives it ({position, cents} or {position, minutes},
// with type and date when the server has them), each amount times `sign`.
export const rows = (list, sign = 1) => (list || []).map((e) => ({
  position: e.position, type: e.type || '', date: e.date || '', amount: sign * (e.cents ?? e.minutes ?? 0),
}));
const byPosition = (list) => [...list].sort((a, b) => a.position - b.position);

// The figure `value` (cents, or minutes with unit 'minutes'), as a button when
// `x` says what it was summed from: {title, rows, start: {label, amount},
// note, derived: the sum is what the figure was computed from, not the figure}.
export function fig(value, x, unit = 'cents') {
  const text = unit === 'minutes' ? hours(value) : euro(value);
  if (!x || !x.rows) return esc(text);
  fig.seq = (fig.seq || 0) + 1;
  const id = 'x' + fig.seq;
  state.explained.set(id, { ...x, value, unit, seq: fig.seq });
  return `<button type="button" class="fig" data-explain="${id}" aria-haspopup="dialog" title="Show the events this figure was summed from">${esc(text)}</button>`;
}

// Where the figures drawn from now on begin; forgetFiguresBefore(mark) forgets
// the figures drawn before it, once the view that showed them is gone (not
// before: until the new view is drawn, the old one's figures can be clicked).
export const figureMark = () => (fig.seq || 0) + 1;
export function forgetFiguresBefore(mark) {
  for (const [id, x] of state.explained) if (x.seq < mark) state.explained.delete(id);
}

const eventCache = new Map();  // position -> event (events never change)
export async function eventAt(position) {
  if (!eventCache.has(position)) {
    const page = await api(`/v1/events?from=${position}&limit=1`, { asOf: false });
    const e = page.events.find((ev) => ev.position === position);
    if (!e) throw new Error(`event ${position} is not readable here`);
    eventCache.set(position, e);
  }
  return eventCache.get(position);
}
const eventDate = (e) => e.data?.date || e.data?.issue_date || e.data?.paid_date || String(e.time || '').slice(0, 10);

function openExplain(id) {
  const x = state.explained.get(id);
  if (!x) return;
  const fmt = (v) => (x.unit === 'minutes' ? signedHours(v) : euro(v));
  const list = byPosition(x.rows);
  const sum = (x.start ? x.start.amount : 0) + list.reduce((a, r) => a + r.amount, 0);
  $('#explain-title').textContent = `${x.title}: ${x.unit === 'minutes' ? hours(x.value) : euro(x.value)}`;
  $('#explain-body').innerHTML = `
    <p class="who">${list.length} event${list.length === 1 ? '' : 's'}${x.note ? ' · ' + esc(x.note) : ''}</p>
    <div class="scroll"><table id="explain-table">
      <thead><tr><th>Position</th><th>Type</th><th>Date</th><th class="num">${x.unit === 'minutes' ? 'Hours' : 'Amount'}</th></tr></thead>
      <tbody>${x.start ? `<tr class="start"><td>—</td><td colspan="2">${esc(x.start.label)}</td><td class="num">${fmt(x.start.amount)}</td></tr>` : ''}
      ${list.map((r) => `<tr data-position="${r.position}" data-amount="${r.amount}">
        <td><button type="button" class="link" data-event="${r.position}" aria-expanded="false" aria-label="Event ${r.position}: details">#${r.position}</button></td>
        <td class="x-type">${esc(r.type)}</td><td class="x-date">${esc(r.date)}</td><td class="num">${fmt(r.amount)}</td></tr>`).join('')}</tbody>
      <tfoot><tr><th colspan="3">${x.derived ? esc(x.derived) : 'Sum'}</th><th class="num" id="explain-sum" data-sum="${sum}">${fmt(sum)}</th></tr></tfoot>
    </table></div>
    ${!x.derived && sum !== x.value ? `<p class="error">The events sum to ${fmt(sum)}, not ${fmt(x.value)}.</p>` : ''}`;
  const dlg = $('#explain');
  if (!dlg.open) dlg.showModal();
  $('#explain-close').focus();
  // Lists from a server that does not carry the type and date: read them from the log.
  dlg.querySelectorAll('#explain-table tbody tr[data-position]').forEach(async (tr) => {
    if (tr.querySelector('.x-type').textContent && tr.querySelector('.x-date').textContent) return;
    try {
      const e = await eventAt(Number(tr.dataset.position));
      if (!tr.querySelector('.x-type').textContent) tr.querySelector('.x-type').textContent = eventType(e);
      if (!tr.querySelector('.x-date').textContent) tr.querySelector('.x-date').textContent = eventDate(e);
    } catch { /* the figure stands without it */ }
  });
}

async function toggleEvent(button) {
  const tr = button.closest('tr');
  const open = tr.nextElementSibling?.classList.contains('x-detail') ? tr.nextElementSibling : null;
  if (open) { open.remove(); button.setAttribute('aria-expanded', 'false'); return; }
  const detail = document.createElement('tr');
  detail.className = 'x-detail';
  detail.innerHTML = '<td colspan="4">reading…</td>';
  tr.after(detail);
  button.setAttribute('aria-expanded', 'true');
  try {
    const e = await eventAt(Number(button.dataset.event));
    detail.innerHTML = `<td colspan="4"><p class="receipt">${esc(eventType(e))} · ${esc(e.subject)} · recorded ${esc(e.time)} by ${esc(e.actor)} · rules v${esc(e.rulesversion)} · hash ${esc(e.hash)}</p>
      <pre class="note">${esc(JSON.stringify(e.data, null, 2))}</pre></td>`;
  } catch (err) {
    detail.innerHTML = `<td colspan="4" class="error">${esc(err.message)}</td>`;
  }
}

export function wireExplain() {
  document.addEventListener('click', (e) => {
    const f = e.target.closest('[data-explain]');
    if (f) return openExplain(f.dataset.explain);
    const ev = e.target.closest('#explain [data-event]');
    if (ev) toggleEvent(ev);
  });
}

// The explain lists of an invoice's figures.
export function invoiceExplain(i) {
  const issued = { position: i.position, type: 'InvoiceIssued', date: i.issue_date, amount: i.net_cents };
  const credits = (i.credit_notes || []).map((c) => ({ position: c.position, type: 'CreditNoteIssued', date: c.date || '', amount: c.amount_cents }));
  const pays = (i.payments || []).map((y) => ({ position: y.position, type: 'InvoicePaid', date: y.paid_date, amount: y.amount_cents }));
  return {
    net: { title: `Invoice ${i.number}, net`, rows: [issued] },
    credited: { title: `Invoice ${i.number}, credited`, rows: credits },
    paid: { title: `Invoice ${i.number}, paid`, rows: pays },
    due: i.cancelled ? null : { title: `Invoice ${i.number}, due`, rows: [issued, ...credits.map((r) => ({ ...r, amount: -r.amount })), ...pays.map((r) => ({ ...r, amount: -r.amount }))] },
  };
}

// Hours by a grouping, with the sessions each total was summed from when the
// server gives them (?explain=1); null when the server refuses the question.
export async function hoursBy(groupBy) {
  try {
    return await api(`${pidPath()}/hours?group_by=${groupBy}&explain=1`);
  } catch (err) {
    if (err.status === 401) throw err;
    return null;
  }
}
export const hoursMap = (h) => new Map((h?.groups || []).map((g) => [g.key, g]));
export const hoursRows = (g) => (g && Array.isArray(g.explain) ? g.explain.map((e) => ({
  position: e.position, type: e.type || 'SessionLogged', date: e.date || '', amount: e.minutes,
})) : null);

// The explain lists of a budget line (totals, a mentee, a mentor, a country).
export function budgetExplain(l, b, what) {
  const ex = l.explain;
  if (!ex) return {};
  const net = [...rows(ex.invoiced_cents), ...rows(ex.credited_cents, -1)];
  const vat = b.vat_eligible && ex.vat_invoiced_cents ? [...rows(ex.vat_invoiced_cents), ...rows(ex.vat_credited_cents, -1)] : [];
  const pct = `${((l.cofunding_bp ?? b.totals.cofunding_bp) / 100).toFixed(2)}%`;
  return {
    agreed: { title: `Agreed, ${what}`, rows: rows(ex.agreed_cents) },
    invoiced: { title: `Invoiced, ${what}`, rows: rows(ex.invoiced_cents) },
    credited: { title: `Credited, ${what}`, rows: rows(ex.credited_cents) },
    net: { title: `Invoiced net, ${what}`, rows: net },
    paid: { title: `Paid, ${what}`, rows: rows(ex.paid_cents) },
    outstanding: { title: `Outstanding, ${what}`, rows: [...net, ...rows(ex.paid_cents, -1)] },
    left: l.cap_cents !== undefined ? { title: `Fee cap left, ${what}`, start: { label: 'Fee cap', amount: l.cap_cents }, rows: net.map((r) => ({ ...r, amount: -r.amount })) } : null,
    eu: { title: `EU co-funded share, ${what}`, rows: [...net, ...vat], derived: `Eligible cost (${pct} of it co-funded, rounded per mentee)` },
    own: { title: `Own share, ${what}`, rows: [...net, ...vat], derived: `Eligible cost (the part not co-funded is the own share)` },
    eligible: { title: `Eligible cost, ${what}`, rows: [...net, ...vat] },
    vatInvoiced: ex.vat_invoiced_cents ? { title: `VAT invoiced, ${what}`, rows: [...rows(ex.vat_invoiced_cents), ...rows(ex.vat_credited_cents, -1)] } : null,
    vatPaid: ex.vat_paid_cents ? { title: `VAT paid, ${what}`, rows: rows(ex.vat_paid_cents) } : null,
    // The control: what was verified, certified (after corrections), deducted and corrected.
    verified: ex.verified_cents ? { title: `Verified (net invoiced), ${what}`, rows: rows(ex.verified_cents) } : null,
    certified: ex.certified_cents ? { title: `Certified, ${what}`, rows: rows(ex.certified_cents) } : null,
    deducted: ex.deducted_cents ? { title: `Deducted, ${what}`, rows: rows(ex.deducted_cents) } : null,
    corrected: ex.corrected_cents ? { title: `Corrected, ${what}`, rows: rows(ex.corrected_cents) } : null,
    certifiedEu: ex.certified_cents ? { title: `EU share of certified, ${what}`, rows: rows(ex.certified_cents), derived: `Certified (${pct} of it co-funded, rounded per mentee)` } : null,
  };
}
