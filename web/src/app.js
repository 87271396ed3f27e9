// The dashboard over the ledger's HTTP API: pairs, mentees, applications and
// matching for coordinators, budget and hours for finance staff, audit for
// auditors, the control of spending (samples, verification, findings and
// corrections, evidence documents) for controllers, tours and joint meetings,
// the rules and their amendments; every figure opens the events it was summed
// from. The token lives in session storage.
import { Chart, BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend } from 'chart.js';
import { fromBase64, toBase64, parseVerifier, parseNote, verifyNote, parseCheckpoint, verifyConsistency, checkServedEvent, leafHash, verifyInclusion } from './tlog.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

const $ = (sel, root = document) => root.querySelector(sel);
const state = { token: sessionStorage.getItem('ledger-token') || '', me: null, programme: '', asOf: '', charts: [], explained: new Map() };

// ---- helpers

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
const euro = (cents) => 'EUR ' + (cents / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const hours = (min) => `${Math.floor(min / 60)}h${String(Math.abs(min) % 60).padStart(2, '0')}`;
const h = (html) => {
  const t = document.createElement('template');
  t.innerHTML = html.trim();
  return t.content;
};

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code || '';
  }
}

async function api(path, { method = 'GET', body, asOf = true } = {}) {
  let url = path;
  if (method === 'GET' && asOf && state.asOf) url += (url.includes('?') ? '&' : '?') + 'as_of=' + encodeURIComponent(state.asOf + 'T23:59:59Z');
  const res = await fetch(url, {
    method,
    headers: { Authorization: 'Bearer ' + state.token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

function toast(msg) {
  const t = $('#toast');
  t.textContent = msg;
  t.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove('show'), 2500);
}

function bar(value, cap, { label, high = 90, extra = '' } = {}) {
  const pct = cap > 0 ? Math.min(100, (value / cap) * 100) : 0;
  return `<div class="bar ${pct > high ? 'high' : ''}" role="meter" aria-valuemin="0" aria-valuemax="${cap}" aria-valuenow="${value}" aria-label="${esc(label)}">
    <span style="width:${pct.toFixed(1)}%"></span>${extra}</div>`;
}

// ---- explain: a figure is a button that opens the events it was summed from

const signedHours = (min) => (min < 0 ? '-' : '') + hours(Math.abs(min));
const eventType = (e) => e.type.replace('eu.programme-ledger.', '');

// An explain list as the API gives it ({position, cents} or {position, minutes},
// with type and date when the server has them), each amount times `sign`.
const rows = (list, sign = 1) => (list || []).map((e) => ({
  position: e.position, type: e.type || '', date: e.date || '', amount: sign * (e.cents ?? e.minutes ?? 0),
}));
const byPosition = (list) => [...list].sort((a, b) => a.position - b.position);

// The figure `value` (cents, or minutes with unit 'minutes'), as a button when
// `x` says what it was summed from: {title, rows, start: {label, amount},
// note, derived: the sum is what the figure was computed from, not the figure}.
function fig(value, x, unit = 'cents') {
  const text = unit === 'minutes' ? hours(value) : euro(value);
  if (!x || !x.rows) return esc(text);
  fig.seq = (fig.seq || 0) + 1;
  const id = 'x' + fig.seq;
  state.explained.set(id, { ...x, value, unit });
  return `<button type="button" class="fig" data-explain="${id}" aria-haspopup="dialog" title="Show the events this figure was summed from">${esc(text)}</button>`;
}

const eventCache = new Map();  // position -> event (events never change)
async function eventAt(position) {
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

document.addEventListener('click', (e) => {
  const f = e.target.closest('[data-explain]');
  if (f) return openExplain(f.dataset.explain);
  const ev = e.target.closest('#explain [data-event]');
  if (ev) toggleEvent(ev);
});

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

// The explain lists of an invoice's figures.
function invoiceExplain(i) {
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
async function hoursBy(groupBy) {
  try {
    return await api(`${pidPath()}/hours?group_by=${groupBy}&explain=1`);
  } catch (err) {
    if (err.status === 401) throw err;
    return null;
  }
}
const hoursMap = (h) => new Map((h?.groups || []).map((g) => [g.key, g]));
const hoursRows = (g) => (g && Array.isArray(g.explain) ? g.explain.map((e) => ({
  position: e.position, type: e.type || 'SessionLogged', date: e.date || '', amount: e.minutes,
})) : null);

const VIEWS = {
  pairs: 'Pairs', mentees: 'Mentees', applications: 'Applications', matching: 'Matching', tours: 'Tours and meetings',
  hours: 'Hours', budget: 'Budget', rules: 'Rules', audit: 'Audit', control: 'Control',
};
const can = {
  logSession: () => ['coordinator', 'mentor'].includes(state.me?.role),
  invoice: () => state.me?.role === 'finance',
  pack: () => ['auditor', 'coordinator', 'controller'].includes(state.me?.role),
  coordinate: () => state.me?.role === 'coordinator',
  // The control of spending: controllers draw samples, verify and record
  // findings; finance staff apply the corrections; every role but mentors reads it.
  control: () => state.me?.role === 'controller',
  correct: () => state.me?.role === 'finance',
  readControl: () => ['coordinator', 'finance', 'auditor', 'controller'].includes(state.me?.role),
  // Who attaches a document to what (the upload itself is open to every role that writes).
  attachInvoice: () => state.me?.role === 'finance',
  attachPair: () => ['coordinator', 'mentor'].includes(state.me?.role),
  views: () => ({
    coordinator: ['pairs', 'mentees', 'applications', 'matching', 'tours', 'budget', 'hours', 'rules', 'audit', 'control'],
    finance: ['budget', 'hours', 'pairs', 'mentees', 'tours', 'rules', 'audit', 'control'],
    auditor: ['audit', 'pairs', 'mentees', 'budget', 'hours', 'tours', 'rules', 'control'],
    controller: ['control', 'audit', 'pairs', 'mentees', 'budget', 'hours', 'tours', 'rules'],
    mentor: ['pairs', 'mentees', 'tours', 'rules'],
  })[state.me?.role] || [],
};
const pidPath = () => `/v1/programmes/${encodeURIComponent(state.programme)}`;
const isoToday = () => new Date().toISOString().slice(0, 10);
const topicsOf = (text) => String(text || '').split(',').map((t) => t.trim()).filter(Boolean);
const cents = (eur) => Math.round(Number(eur) * 100);
// The next free id of the form <prefix><number>, the number as wide as the widest in use.
function nextId(ids, prefix, width = 2) {
  let n = 0;
  for (const id of ids) {
    const m = id.startsWith(prefix) ? /^(\d+)$/.exec(id.slice(prefix.length)) : null;
    if (m) { n = Math.max(n, Number(m[1])); width = Math.max(width, m[1].length); }
  }
  return prefix + String(n + 1).padStart(width, '0');
}

// ---- evidence documents: uploaded as they are, attached by an event, opened as a download

const EVIDENCE_KINDS = ['invoice', 'proof_of_payment', 'attendance', 'report', 'application', 'vat_statement', 'other'];
const ERROR_TYPES = ['ineligible_cost', 'missing_evidence', 'calculation', 'double_funding', 'outside_period', 'other'];
const FINDING_SOURCES = { controller: 'controller', audit_authority: 'audit authority', commission: 'Commission', court_of_auditors: 'Court of Auditors', olaf: 'OLAF' };
const MAX_EVIDENCE = 20 * 1024 * 1024;
const words = (s) => String(s ?? '').replaceAll('_', ' ');
const bytes = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1048576).toFixed(1)} MB`);

// Stores a file (POST /v1/evidence, the bytes as the body) and answers {sha256, ...}.
async function uploadEvidence(file) {
  if (file.size > MAX_EVIDENCE) throw new ApiError(413, { error: { code: 'payload_too_large', message: `${file.name} is larger than 20 MiB` } });
  // A header carries bytes: the name as percent-encoded UTF-8, which the server decodes.
  const name = encodeURIComponent(file.name);
  const res = await fetch('/v1/evidence', {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + state.token, 'Content-Type': file.type || 'application/octet-stream', 'X-Filename': name },
    body: file,
  });
  let json = null;
  try { json = await res.json(); } catch { json = null; }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

// The documents attached to an entity, each a link that downloads it with the token.
function evidenceList(docs, { id = '', empty = 'No document attached.' } = {}) {
  if (!docs?.length) return `<p class="who"${id ? ` id="${id}"` : ''}>${esc(empty)}</p>`;
  return `<ul class="evidence"${id ? ` id="${id}"` : ''}>${docs.map((d) => `<li data-sha256="${esc(d.sha256)}" data-kind="${esc(d.kind)}"${d.session_id ? ` data-session="${esc(d.session_id)}"` : ''}>
    <a href="/v1/evidence/${esc(d.sha256)}" class="doc" data-evidence="${esc(d.sha256)}" data-filename="${esc(d.filename)}" download="${esc(d.filename)}">${esc(d.filename || d.sha256.slice(0, 12))}</a>
    <span class="kind">${esc(words(d.kind))}</span>${d.session_id ? ` <span class="who">session ${esc(d.session_id)}</span>` : ''}
    <span class="who">${esc(d.content_type || '')}${d.size !== undefined ? ' · ' + bytes(d.size) : ''} · #${d.position}${d.recorded_by ? ' by ' + esc(d.recorded_by) : ''}${d.note ? ' · ' + esc(d.note) : ''}</span>
    <span class="receipt who" title="SHA-256">${esc(d.sha256.slice(0, 16))}…</span></li>`).join('')}</ul>`;
}

// The form that uploads a file and attaches it: `targets` are [value, label,
// path] (the attach route); one target needs no choice.
function evidenceForm(id, targets, label, kind = 'invoice') {
  return `<form class="card evidence-upload" id="${id}" aria-label="${esc(label)}">
    <label>Document (PDF, PNG, JPEG or text, up to 20 MiB) <input type="file" name="file" required accept="application/pdf,image/png,image/jpeg,text/plain,.pdf,.png,.jpg,.jpeg,.txt"></label>
    ${targets.length > 1 ? `<label>Of <select name="target">${targets.map(([v, l]) => `<option value="${esc(v)}">${esc(l)}</option>`).join('')}</select></label>` : ''}
    <label>Kind <select name="kind">${EVIDENCE_KINDS.map((k) => `<option value="${k}" ${k === kind ? 'selected' : ''}>${words(k)}</option>`).join('')}</select></label>
    <label>Note <input name="note"></label>
    <button type="submit">Upload and attach</button>
  </form>`;
}
function wireEvidenceForm(form, targets) {
  if (!form) return;
  onSubmit(form, async (d) => {
    const file = d.get('file');
    if (!(file instanceof File) || !file.name) throw new Error('choose a file');
    const target = targets.find(([v]) => v === (d.get('target') ?? targets[0][0]));
    const stored = await uploadEvidence(file);
    const body = { sha256: stored.sha256, kind: d.get('kind') };
    if (String(d.get('note') || '').trim()) body.note = String(d.get('note')).trim();
    await api(target[2], { method: 'POST', body });
  });
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-evidence]');
  if (!a) return;
  e.preventDefault();
  let out = a.parentElement.querySelector('.doc-result');
  if (!out) { out = Object.assign(document.createElement('span'), { className: 'doc-result' }); a.after(out); }
  download(`/v1/evidence/${encodeURIComponent(a.dataset.evidence)}`, a.dataset.filename || a.dataset.evidence, out, a.dataset.filename || 'the document');
});

// The evidence the rules ask for and no document gives, or null where this
// role does not read it.
async function evidenceGaps() {
  if (!can.readControl()) return null;
  try {
    return await api(`${pidPath()}/audit/evidence-gaps`);
  } catch (err) {
    if (err.status === 401) throw err;
    return null;
  }
}
const gapText = (list) => list.map((g) => `${words(g.kind)} (${g.step}${g.session_id ? ' ' + g.session_id : ''})`).join(', ');
const gapBadge = (list, { short = false } = {}) => (list?.length
  ? `<span class="warn gap" data-gaps="${list.length}" title="${esc(gapText(list))}">missing evidence${short ? ` (${list.length})` : ': ' + esc(gapText(list))}</span>` : '');
const groupBy = (list, key) => {
  const m = new Map();
  for (const x of list || []) if (x[key]) (m.get(x[key]) || m.set(x[key], []).get(x[key])).push(x);
  return m;
};

// ---- sign-in and frame

function signInView(message = '') {
  $('#controls').hidden = true;
  $('#nav').innerHTML = '';
  const main = $('#main');
  main.replaceChildren(h(`<form class="card signin" id="signin">
      <h2>Sign in</h2>
      <label>Token <input id="token" type="password" autocomplete="off" required></label>
      <button type="submit">Sign in</button>
      ${message ? `<p class="error" role="alert">${esc(message)}</p>` : ''}
    </form>`));
  $('#signin').addEventListener('submit', async (e) => {
    e.preventDefault();
    state.token = $('#token').value.trim();
    try {
      await start();
    } catch (err) {
      state.token = '';
      sessionStorage.removeItem('ledger-token');
      signInView(err.status === 401 ? 'This token is not known.' : err.message);
    }
  });
  $('#token').focus();
}

async function start() {
  state.me = await api('/v1/me', { asOf: false });
  sessionStorage.setItem('ledger-token', state.token);
  $('#who').textContent = `${state.me.name} (${state.me.role}${state.me.mentor_id ? ' ' + state.me.mentor_id : ''})`;
  const progs = (await api('/v1/programmes', { asOf: false })).programmes;
  const sel = $('#programme');
  sel.innerHTML = progs.map((p) => `<option value="${esc(p.id)}">${esc(p.name)}</option>`).join('');
  state.programme = sessionStorage.getItem('ledger-programme') || (progs[0] && progs[0].id) || '';
  if (!progs.some((p) => p.id === state.programme) && progs[0]) state.programme = progs[0].id;
  sel.value = state.programme;
  $('#controls').hidden = false;
  $('#nav').innerHTML = can.views().map((v) => `<a href="#${v}" data-view="${v}">${VIEWS[v]}</a>`).join('');
  if (!location.hash || !can.views().includes(location.hash.slice(1).split('/')[0])) location.hash = '#' + can.views()[0];
  else route();
  live();
}

// ---- views

// One rendering at a time: a route asked for while one runs renders again
// after it, so that a slower, older answer never covers a newer view.
let routing = null;
function route() {
  if (routing) {
    route.again = true;
    return routing;
  }
  routing = (async () => {
    do {
      route.again = false;
      await render();
    } while (route.again);
  })().finally(() => { routing = null; });
  return routing;
}

async function render() {
  if (!state.me) return;
  const [view, arg] = location.hash.slice(1).split('/');
  document.querySelectorAll('#nav a').forEach((a) => a.toggleAttribute('aria-current', a.dataset.view === view) && a.setAttribute('aria-current', 'page'));
  state.charts.forEach((c) => c.destroy());
  state.charts = [];
  state.explained.clear();
  const main = $('#main');
  const allowed = (v) => can.views().includes(v);
  try {
    if (view === 'pair' && arg) await pairView(main, decodeURIComponent(arg));
    else if (view === 'invoice' && arg) await invoiceView(main, decodeURIComponent(arg));
    else if (view === 'control' && allowed(view)) await controlView(main, arg ? decodeURIComponent(arg) : '');
    else if (view === 'statement' && arg) await statementView(main, decodeURIComponent(arg));
    else if (view === 'budget' && allowed(view)) await budgetView(main);
    else if (view === 'audit' && allowed(view)) await auditView(main);
    else if (view === 'mentees' && allowed(view)) await menteesView(main);
    else if (view === 'applications' && allowed(view)) await applicationsView(main);
    else if (view === 'matching' && allowed(view)) await matchingView(main, arg ? decodeURIComponent(arg) : '');
    else if (view === 'tours' && allowed(view)) await toursView(main);
    else if (view === 'hours' && allowed(view)) await hoursView(main);
    else if (view === 'rules' && allowed(view)) await rulesView(main);
    else await pairsView(main);
  } catch (err) {
    if (err.status === 401) return signInView('The token is no longer valid.');
    main.replaceChildren(h(`<p class="error" role="alert">${esc(err.message)}</p>`));
  }
}

const pairsUi = { status: '', country: '', mentor: '', sort: 'mentee_name', dir: 1 };

async function pairsView(main) {
  const [data, byMentee, byPair, gaps] = await Promise.all([api(`${pidPath()}/pairs`), hoursBy('mentee'), hoursBy('pair'), evidenceGaps()]);
  const pairs = data.pairs;
  const gapsOf = groupBy(gaps?.gaps, 'pair_id');
  const [menteeHours, pairHours] = [hoursMap(byMentee), hoursMap(byPair)];
  const hoursCell = (p) => {
    const cap = p.mentee_minutes_used + p.minutes_left;
    const m = hoursRows(menteeHours.get(p.mentee_id));
    const own = hoursRows(pairHours.get(p.id));
    return `${fig(p.mentee_minutes_used, m && { title: `Hours of ${p.mentee_name} (every pair)`, rows: m }, 'minutes')} of ${hours(cap)} (this pair ${fig(p.minutes_used, own && { title: `Hours of pair ${p.id}`, rows: own }, 'minutes')})`;
  };
  const opts = (key) => [...new Set(pairs.map((p) => p[key]).filter(Boolean))].sort();
  const shown = pairs
    .filter((p) => (!pairsUi.status || p.status === pairsUi.status) && (!pairsUi.country || p.country === pairsUi.country) &&
      (!pairsUi.mentor || p.mentor_id === pairsUi.mentor))
    .sort((a, b) => (a[pairsUi.sort] > b[pairsUi.sort] ? 1 : a[pairsUi.sort] < b[pairsUi.sort] ? -1 : 0) * pairsUi.dir);
  const th = (key, label, cls = '') => `<th class="${cls}" aria-sort="${pairsUi.sort === key ? (pairsUi.dir > 0 ? 'ascending' : 'descending') : 'none'}"><button type="button" data-sort="${key}">${label}</button></th>`;
  const select = (id, label, values, current) => `<label>${label} <select id="${id}"><option value="">all</option>${values
    .map((v) => `<option ${v === current ? 'selected' : ''}>${esc(v)}</option>`).join('')}</select></label>`;
  main.replaceChildren(h(`<h2>Pairs <small class="who">at position ${data.position}</small></h2>
    <div class="filters">
      ${select('f-status', 'Status', ['assigned', 'active', 'completed', 'terminated'], pairsUi.status)}
      ${select('f-country', 'Country', opts('country'), pairsUi.country)}
      ${select('f-mentor', 'Mentor', opts('mentor_id'), pairsUi.mentor)}
    </div>
    <div class="scroll"><table id="pairs-table">
      <thead><tr>${th('mentor_name', 'Mentor')}${th('mentee_name', 'Mentee')}${th('cluster_name', 'Cluster')}${th('country', 'Country')}${th('status', 'Status')}${th('start_date', 'Period')}${th('mentee_minutes_used', 'Hours (mentee, of cap)')}${th('last_session_date', 'Last session')}${th('report', 'Report')}<th>Warnings</th></tr></thead>
      <tbody>${shown.map((p) => `<tr data-pair="${esc(p.id)}">
        <td>${esc(p.mentor_name)}</td>
        <td><a href="#pair/${encodeURIComponent(p.id)}">${esc(p.mentee_name)}</a></td>
        <td>${esc(p.cluster_name)}</td><td>${esc(p.country)}</td><td>${esc(p.status)}</td>
        <td>${esc(p.start_date)} – ${esc(p.end_date)}</td>
        <td>${bar(p.mentee_minutes_used, p.mentee_minutes_used + p.minutes_left, { label: 'hours used' })}<span class="barlabel hours-used">${hoursCell(p)}</span></td>
        <td>${esc(p.last_session_date || '—')}</td><td>${esc(p.report)}</td>
        <td>${p.warnings.map((w) => `<span class="warn">${esc(w.replaceAll('_', ' '))}</span>`).join('')}${gapBadge(gapsOf.get(p.id), { short: true })}</td></tr>`).join('')}</tbody>
    </table></div>`));
  for (const [id, key] of [['f-status', 'status'], ['f-country', 'country'], ['f-mentor', 'mentor']])
    $('#' + id).addEventListener('change', (e) => { pairsUi[key] = e.target.value; route(); });
  main.querySelectorAll('th button').forEach((b) => b.addEventListener('click', () => {
    pairsUi.dir = pairsUi.sort === b.dataset.sort ? -pairsUi.dir : 1;
    pairsUi.sort = b.dataset.sort;
    route();
  }));
}

function formErrors(form, err) {
  let box = form.querySelector('.error');
  if (!box) { box = document.createElement('p'); box.className = 'error'; box.setAttribute('role', 'alert'); form.append(box); }
  // Four eyes: the same person may not check their own entry; said as such.
  box.classList.toggle('four-eyes', err?.code === 'four_eyes');
  if (err?.code === 'four_eyes') {
    box.innerHTML = `<b>Refused by the four-eyes rule</b> (four_eyes): ${esc(err.message)}`;
    return;
  }
  box.textContent = err ? `${err.code ? err.code + ': ' : ''}${err.message}` : '';
}

function onSubmit(form, fn) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formErrors(form, null);
    try {
      await fn(new FormData(form));
      toast('Recorded');
      await route();
    } catch (err) {
      formErrors(form, err);
    }
  });
}

async function pairView(main, id) {
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

// ---- an invoice: its figures, its documents beside its verification (four
// eyes), the findings on it and their corrections

async function invoiceView(main, iid) {
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

// ---- the control of spending: samples anyone can draw again, the
// verification of what they select, the findings register and its corrections

const controlUi = { finding: null };
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

async function controlView(main, sampleId) {
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

// A pair's statement, to print: its sessions, hours, invoices, payments and report.
async function statementView(main, id) {
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

// The explain lists of a budget line (totals, a mentee, a mentor, a country).
function budgetExplain(l, b, what) {
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

async function budgetView(main) {
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

// Fetches a file with the token in the header and saves it from a blob URL.
async function download(path, name, out, what) {
  out.textContent = 'preparing…';
  try {
    const res = await fetch(path, { headers: { Authorization: 'Bearer ' + state.token } });
    if (!res.ok) {
      let msg = `HTTP ${res.status}`;
      try { msg = (await res.json()).error.message || msg; } catch { /* not JSON */ }
      throw new Error(msg);
    }
    const url = URL.createObjectURL(await res.blob());
    const a = Object.assign(document.createElement('a'), { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    out.textContent = '';
  } catch (err) {
    out.innerHTML = `<span class="error">${esc(what)} could not be downloaded: ${esc(err.message)}</span>`;
  }
}

const appsUi = { status: '', eligible: '', profile: '', country: '' };

// The register of applications: eligibility and why not, accept or reject.
async function applicationsView(main) {
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

// ---- mentees: needs, pairs, hours and fee against the caps, tours

async function menteesView(main) {
  const [ms, prog, byMentee, b, tours] = await Promise.all([api(`${pidPath()}/mentees`), api(pidPath()), hoursBy('mentee'),
    api(`${pidPath()}/budget?explain=1`).catch((err) => { if (err.status === 401) throw err; return null; }), api(`${pidPath()}/tours`)]);
  const r = prog.rules;
  const hoursOf = hoursMap(byMentee);
  const feeOf = new Map((b?.mentees || []).map((m) => [m.mentee_id, m]));
  const tourName = new Map(tours.tours.map((t) => [t.id, t.region]));
  const maxTours = tours.max_tours_per_mentee ?? r.max_tours_per_mentee;
  const writable = !state.asOf && can.coordinate();
  const needsCell = (m) => {
    if (m.needs === undefined) return '<span class="who">—</span>';
    const n = m.needs;
    return `${n ? `<ul class="needs">${n.areas.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>${n.note ? `<p class="who">${esc(n.note)}</p>` : ''}` : '<span class="warn">not diagnosed</span>'}
      ${writable ? `<details><summary>${n ? 'Diagnose again' : 'Diagnose'}</summary><form class="diagnose" data-mentee="${esc(m.id)}" aria-label="Diagnose the needs of ${esc(m.name)}">
        <fieldset><legend>Knowledge areas needed</legend>${r.knowledge_areas.map((a) => `<label class="check"><input type="checkbox" name="areas" value="${esc(a)}" ${n?.areas.includes(a) ? 'checked' : ''}> ${esc(a)}</label>`).join('')}</fieldset>
        <label>Note <input name="note" value="${esc(n?.note || '')}"></label><button type="submit">Record the diagnosis</button></form></details>` : ''}`;
  };
  main.replaceChildren(h(`<h2>Mentees <small class="who">at position ${ms.position}</small></h2>
    <p class="who">Caps per mentee: ${hours(r.hour_cap_minutes)} and ${euro(r.fee_cap_cents)} (VAT excluded), over every pair; at most ${maxTours} study tours. Each figure opens the events it was summed from.</p>
    <div class="scroll"><table id="mentees-table"><thead><tr><th>Mentee</th><th>Country</th><th>Needs</th><th>Pairs</th><th>Hours (of cap)</th><th>Fee invoiced net (of cap)</th><th>Tours</th></tr></thead>
    <tbody>${ms.mentees.map((m) => {
      const cap = m.minutes_used + m.minutes_left;
      const hx = hoursRows(hoursOf.get(m.id));
      const line = feeOf.get(m.id);
      const fx = line ? budgetExplain(line, b, m.name) : {};
      return `<tr data-mentee="${esc(m.id)}"><td><b>${esc(m.name)}</b><br>${esc(m.cluster_name)}${m.withdrawn ? '<br><span class="warn">withdrawn</span>' : ''}</td><td>${esc(m.country)}</td>
      <td class="needs-cell">${needsCell(m)}</td>
      <td><ul class="plain">${m.pairs.map((id) => `<li><a href="#pair/${encodeURIComponent(id)}">${esc(id)}</a>${id === m.active_pair ? ' (active)' : ''}</li>`).join('')}</ul>
        ${writable && !m.active_pair && !m.withdrawn && can.views().includes('matching') ? `<a href="#matching/${encodeURIComponent(m.id)}">Find a mentor</a>` : ''}</td>
      <td>${bar(m.minutes_used, cap, { label: 'hours used' })}<span class="barlabel mentee-hours">${fig(m.minutes_used, hx && { title: `Hours of ${m.name}`, rows: hx }, 'minutes')} of ${hours(cap)}, ${hours(m.minutes_left)} left</span></td>
      <td>${bar(m.net_invoiced_cents, r.fee_cap_cents, { label: 'fee cap used' })}<span class="barlabel mentee-fee">${fig(m.net_invoiced_cents, fx.net)} of ${euro(r.fee_cap_cents)}; agreed ${fig(m.agreed_cents, fx.agreed)}, ${euro(m.fee_left_cents)} left</span></td>
      <td>${m.tours.length} of ${maxTours}${m.tours.length ? `<br><span class="who">${esc(m.tours.map((t) => tourName.get(t) || t).join(', '))}</span>` : ''}</td></tr>`;
    }).join('')}</tbody></table></div>`));
  main.querySelectorAll('form.diagnose').forEach((f) => onSubmit(f, (d) => api(`/v1/mentees/${encodeURIComponent(f.dataset.mentee)}/needs`, {
    method: 'POST', body: { areas: d.getAll('areas'), note: d.get('note') } })));
}

// ---- matching: a mentee's ranked mentor suggestions, and the pair made from one

async function matchingView(main, menteeId) {
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

// ---- study tours and joint meetings

const KINDS = { cluster_manager: 'cluster manager', cluster_representative: 'cluster representative', network_manager: 'network manager' };

async function toursView(main) {
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

// ---- the rules in force and their amendments

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

async function rulesView(main) {
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

const hoursUi = { by: 'mentee' };

// Hours by mentee, mentor, pair, month, topic, mode or format; each total opens
// the sessions it was summed from.
async function hoursView(main) {
  const by = hoursUi.by;
  const [hr, pairs] = await Promise.all([api(`${pidPath()}/hours?group_by=${by}&explain=1`), api(`${pidPath()}/pairs`)]);
  const names = new Map();
  for (const p of pairs.pairs) {
    names.set('mentee:' + p.mentee_id, `${p.mentee_name} (${p.cluster_name})`);
    names.set('mentor:' + p.mentor_id, p.mentor_name);
    names.set('pair:' + p.id, `${p.mentor_name} with ${p.mentee_name}`);
  }
  const label = (key) => names.get(`${by}:${key}`) || '';
  const keyCell = (key) => (by === 'pair' ? `<a href="#pair/${encodeURIComponent(key)}">${esc(key)}</a>` : esc(key));
  main.replaceChildren(h(`<h2>Hours <small class="who">at position ${hr.position}</small></h2>
    <div class="filters"><label>Grouped by <select id="hours-by">${['mentee', 'mentor', 'pair', 'month', 'topic', 'mode', 'format']
      .map((v) => `<option ${v === by ? 'selected' : ''}>${v}</option>`).join('')}</select></label></div>
    <p>Total <b id="hours-total">${hours(hr.total_minutes)}</b>. Each total opens the sessions it was summed from.</p>
    <div class="scroll"><table id="hours-table"><thead><tr><th>${esc(by[0].toUpperCase() + by.slice(1))}</th><th></th><th class="num">Sessions</th><th class="num">Hours</th></tr></thead>
    <tbody>${hr.groups.map((g) => `<tr data-key="${esc(g.key)}" data-minutes="${g.minutes}"><td>${keyCell(g.key)}</td><td>${esc(label(g.key))}</td><td class="num">${g.sessions}</td>
      <td class="num">${fig(g.minutes, hoursRows(g) && { title: `Hours, ${by} ${g.key}`, rows: hoursRows(g) }, 'minutes')}</td></tr>`).join('')}</tbody></table></div>`));
  $('#hours-by').addEventListener('change', (e) => { hoursUi.by = e.target.value; route(); });
}

const auditUi = { type: '', stream: '', from: 1, days: 30 };

const LATE = {
  session_late: 'session recorded late', application_after_deadline: 'application recorded after the deadline',
  payment_before_invoice: 'payment dated before its invoice', invoice_before_first_session: "invoice dated before the pair's first session",
};
const entityLink = (entity, id, pairId) => (entity === 'invoice' ? `<a href="#invoice/${encodeURIComponent(id)}">${esc(id)}</a>`
  : entity === 'pair' || entity === 'session' ? `<a href="#pair/${encodeURIComponent(pairId || id)}">${esc(id)}</a>` : esc(id));

// The auditor's look at the programme: the evidence the rules ask for and no
// document gives, and the entries recorded late or dated oddly.
async function auditControl() {
  if (!can.readControl()) return '';
  const quiet = (promise) => promise.catch((err) => { if (err.status === 401) throw err; return { error: err }; });
  const [prog, gaps, late] = await Promise.all([quiet(api(pidPath())), quiet(api(`${pidPath()}/audit/evidence-gaps`)),
    quiet(api(`${pidPath()}/audit/late-entries?days=${auditUi.days}`))]);
  const failed = (x) => `<p class="error" role="alert">${esc(x.error.message)}</p>`;
  return `<section class="card" id="audit-control" aria-label="Control of the programme">
      <h3>${esc(prog.name || state.programme)}: evidence and late entries</h3>
      ${prog.error ? '' : `<p id="retention">${retentionText(prog)}</p>`}
      <h4 id="gaps-title">Evidence gaps</h4>
      ${gaps.error ? failed(gaps) : `<p class="who" id="gaps-summary"><b id="gaps-count">${gaps.count}</b> missing; the rules ask for ${gaps.required.length ? gaps.required.map((r) => `<code>${esc(r)}</code>`).join(', ') : 'no document'}.</p>
      <div class="scroll"><table id="gaps-table" aria-labelledby="gaps-title"><thead><tr><th>Step</th><th>Missing</th><th>Entity</th><th>Pair</th><th>Mentee</th><th class="num">Position</th></tr></thead>
      <tbody>${gaps.gaps.map((g) => `<tr data-entity="${esc(g.entity)}" data-id="${esc(g.entity_id)}" data-kind="${esc(g.kind)}"${g.session_id ? ` data-session="${esc(g.session_id)}"` : ''}>
        <td>${esc(g.step)}</td><td><span class="warn">${esc(words(g.kind))}</span></td><td>${esc(g.entity)} ${entityLink(g.entity, g.entity_id, g.pair_id)}${g.session_id ? ' / ' + esc(g.session_id) : ''}</td>
        <td>${g.pair_id ? `<a href="#pair/${encodeURIComponent(g.pair_id)}">${esc(g.pair_id)}</a>` : ''}</td><td>${esc(g.mentee_id || '')}</td><td class="num">${g.position}</td></tr>`).join('') || '<tr><td colspan="6">No gap.</td></tr>'}</tbody></table></div>`}
      <h4 id="late-title">Late and odd entries</h4>
      <form class="filters" id="late-form" aria-label="Late entries">
        <label>Sessions recorded more than <input name="days" type="number" min="0" max="3650" step="1" required value="${auditUi.days}"> days after they took place</label>
        <button type="submit">Show</button>
      </form>
      ${late.error ? failed(late) : `<div class="scroll"><table id="late-table" aria-labelledby="late-title" data-days="${late.days}"><thead><tr><th>What</th><th>Entity</th><th>Dated</th><th>Recorded</th><th class="num">Days late</th><th class="num">Position</th><th>Detail</th></tr></thead>
      <tbody>${late.entries.map((e) => `<tr data-type="${esc(e.type)}" data-id="${esc(e.entity_id)}" data-position="${e.position}">
        <td>${esc(LATE[e.type] || words(e.type))}</td><td>${esc(e.entity)} ${entityLink(e.entity, e.entity_id, e.pair_id)}</td><td>${esc(e.date)}</td><td>${esc((e.recorded_at || '').slice(0, 16).replace('T', ' '))}</td>
        <td class="num">${e.days_late ?? ''}</td><td class="num">${e.position}</td><td>${esc(e.detail)}</td></tr>`).join('') || '<tr><td colspan="7">None.</td></tr>'}</tbody></table></div>`}
    </section>`;
}

function retentionText(prog) {
  if (prog.retain_until === undefined) return '';
  return prog.retain_until
    ? `Documents are kept until <b id="retain-until">${esc(prog.retain_until)}</b>: 31 December of the year of the last payment (${esc(prog.last_payment_date)}) plus ${prog.retention_years} years.`
    : `Documents are kept until <b id="retain-until">—</b>: nothing is paid yet; then until 31 December of the year of the last payment plus ${prog.retention_years} years.`;
}

async function auditView(main) {
  const control = await auditControl();
  const head = await api('/v1/audit/head', { asOf: false });
  const q = new URLSearchParams({ from: String(auditUi.from), limit: '50' });
  if (auditUi.type) q.set('type', auditUi.type);
  if (auditUi.stream) q.set('stream', auditUi.stream);
  const page = await api('/v1/events?' + q, { asOf: false });
  main.replaceChildren(h(`<h2>Audit</h2>
    <section class="card" aria-label="Head receipt">
      <h3>Head receipt</h3>
      <p class="receipt" id="head">position <b>${head.position}</b> · hash <b>${esc(head.hash)}</b> · recorded ${esc(head.recorded_at || '—')}</p>
      <button type="button" id="verify">Verify the chain</button> <span id="verify-result" aria-live="polite"></span>
    </section>
    <section class="card" aria-label="Signed checkpoint">
      <h3>Signed checkpoint</h3>
      <div class="totals" id="cp-fields">
        <div>Origin<b class="receipt" id="cp-origin">…</b></div><div>Size<b id="cp-size">…</b></div><div class="wide">Root<b class="receipt" id="cp-root">…</b></div>
      </div>
      <pre class="receipt note" id="checkpoint" aria-label="The signed checkpoint as the server sent it"></pre>
      <form class="keyform" id="verifier-form" aria-label="Verifier key">
        <label>Verifier key <input id="verifier-key" name="verifier" autocomplete="off" spellcheck="false" placeholder="programme-ledger/…+1a2b3c4d+AbC…" value="${esc(localStorage.getItem(SEEN.key) || '')}"></label>
        <button type="submit">Keep this key</button>
      </form>
      <p class="who">Paste the verifier key once, from <code>ledger key show</code> or another channel you trust. It is not fetched from this server: a key the server hands out would prove nothing.</p>
      <p id="cp-signature" data-state="pending" aria-live="polite">checking…</p>
      <p id="cp-consistency" data-state="pending" aria-live="polite"></p>
    </section>
    <section class="card" aria-label="Export">
      <h3>Export</h3>
      <button type="button" class="quiet" data-export="ndjson">Download NDJSON</button>
      <button type="button" class="quiet" data-export="csv">Download CSV</button>
      ${can.pack() ? `<button type="button" class="quiet" id="pack" disabled>Download the audit pack</button> <span id="pack-result" aria-live="polite"></span>` : ''}
    </section>
    ${control}
    <h3>Timeline</h3>
    <form class="filters" id="timeline-filters">
      <label>Type <input name="type" value="${esc(auditUi.type)}" placeholder="SessionLogged"></label>
      <label>Stream <input name="stream" value="${esc(auditUi.stream)}" placeholder="pair-tnst-2019-p07"></label>
      <label>From position <input name="from" type="number" min="1" value="${auditUi.from}"></label>
      <button type="submit">Show</button>
    </form>
    <p id="timeline-proof" data-state="unchecked" aria-live="polite" class="who">Each event below is proved once the signed checkpoint is verified with your key.</p>
    <div class="scroll"><table id="timeline"><thead><tr><th>Position</th><th>Recorded</th><th>Type</th><th>Stream</th><th>Actor</th><th>Hash</th><th>Proved</th></tr></thead>
    <tbody>${page.events.map((e) => `<tr data-position="${e.position}"><td>${e.position}</td><td>${esc(e.time)}</td><td>${esc(e.type.replace('eu.programme-ledger.', ''))}</td><td>${esc(e.subject)}</td><td>${esc(e.actor)}</td><td class="receipt">${esc(e.hash.slice(0, 16))}…</td><td class="proved"></td></tr>`).join('')}</tbody></table></div>
    ${page.next ? `<button type="button" class="quiet" id="more">Next page</button>` : ''}`));
  $('#verify').addEventListener('click', async () => {
    $('#verify-result').textContent = 'verifying…';
    const v = await api('/v1/audit/verify', { asOf: false });
    $('#verify-result').innerHTML = v.ok
      ? `<span class="ok">ok: ${v.checked} events, head ${v.head.position} ${esc(v.head.hash)}</span>`
      : `<span class="error">broken at position ${v.first_bad_position}: ${esc(v.problem)}</span>`;
  });
  const lf = $('#late-form');
  if (lf) lf.addEventListener('submit', (e) => {
    e.preventDefault();
    auditUi.days = Number(new FormData(lf).get('days') || 30);
    lf.querySelector('input').blur();
    route();
  });
  $('#timeline-filters').addEventListener('submit', (e) => {
    e.preventDefault();
    const d = new FormData(e.target);
    Object.assign(auditUi, { type: String(d.get('type') || ''), stream: String(d.get('stream') || ''), from: Number(d.get('from') || 1) });
    route();
  });
  const more = $('#more');
  if (more) more.addEventListener('click', () => { auditUi.from = page.next; route(); });
  $('#verifier-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const v = $('#verifier-key').value.trim();
    if (v) localStorage.setItem(SEEN.key, v);
    else localStorage.removeItem(SEEN.key);
    $('#verifier-key').blur();
    route();
  });
  const pack = $('#pack');
  if (pack) pack.addEventListener('click', async () => {
    const out = $('#pack-result');
    out.textContent = 'preparing…';
    try {
      const res = await fetch(pack.dataset.href, { headers: { Authorization: 'Bearer ' + state.token } });
      if (!res.ok) {
        let msg = `HTTP ${res.status}`;
        try { msg = (await res.json()).error.message || msg; } catch { /* not JSON */ }
        throw new Error(msg);
      }
      const url = URL.createObjectURL(await res.blob());
      const a = Object.assign(document.createElement('a'), { href: url, download: `ledger-audit-pack-${pack.dataset.at}.tar` });
      document.body.append(a);
      a.click();
      a.remove();
      URL.revokeObjectURL(url);
      out.textContent = '';
    } catch (err) {
      out.innerHTML = `<span class="error">the audit pack could not be downloaded: ${esc(err.message)}</span>`;
    }
  });
  checkLog({
    origin: $('#cp-origin'), size: $('#cp-size'), root: $('#cp-root'), note: $('#checkpoint'),
    signature: $('#cp-signature'), consistency: $('#cp-consistency'), pack,
    events: page.events, proof: $('#timeline-proof'),
  });
  main.querySelectorAll('[data-export]').forEach((b) => b.addEventListener('click', async () => {
    const res = await fetch('/v1/audit/export?format=' + b.dataset.export, { headers: { Authorization: 'Bearer ' + state.token } });
    const url = URL.createObjectURL(await res.blob());
    const a = Object.assign(document.createElement('a'), { href: url, download: `ledger.${b.dataset.export}` });
    document.body.append(a);
    a.click();
    a.remove();
    URL.revokeObjectURL(url);
  }));
}

// ---- the signed checkpoint, checked here against the verifier key the
// auditor pasted, and against the last checkpoint this browser verified

const SEEN = { key: 'ledger-verifier-key', checkpoint: 'ledger-seen-checkpoint' };

function say(el, stateName, html, cls = '') {
  el.dataset.state = stateName;
  el.className = cls;
  el.innerHTML = html;
}

// One check at a time, in order: a check fetches the checkpoint only after the
// one before has remembered its own, so a slower, older answer never looks
// like a rollback.
let logCheck = Promise.resolve();
function checkLog(ui) {
  logCheck = logCheck.then(() => checkLogNow(ui)).catch((err) => say(ui.signature, 'error', esc(err.message), 'error'));
  return logCheck;
}

async function checkLogNow(ui) {
  if (!ui.note.isConnected) return;  // the page has moved on
  const res = await fetch('/v1/audit/checkpoint');
  if (!res.ok) throw new Error(`the checkpoint could not be fetched (HTTP ${res.status})`);
  const note = new TextDecoder('utf-8', { fatal: true }).decode(await res.arrayBuffer());
  ui.note.textContent = note;
  let parsed, cp;
  try {
    parsed = parseNote(note);
    cp = parseCheckpoint(parsed.text);
  } catch (err) {
    return say(ui.signature, 'invalid', `signature INVALID: the checkpoint is malformed (${esc(err.message)})`, 'alarm');
  }
  ui.origin.textContent = cp.origin;
  ui.size.textContent = String(cp.size);
  ui.root.textContent = toBase64(cp.root);
  if (ui.pack) {
    ui.pack.dataset.at = String(cp.size);
    ui.pack.dataset.href = '/v1/audit/pack?at=' + cp.size;
    ui.pack.disabled = false;
  }

  const keyText = localStorage.getItem(SEEN.key) || '';
  if (!keyText) {
    say(ui.signature, 'none', 'No verifier key yet: the signature is not checked.', 'who');
    return say(ui.consistency, 'unchecked', '', '');
  }
  let verifier;
  try {
    verifier = await parseVerifier(keyText);
  } catch (err) {
    say(ui.signature, 'bad-key', `The verifier key is not one: ${esc(err.message)}.`, 'error');
    return say(ui.consistency, 'unchecked', '', '');
  }
  const verdict = await verifyNote(parsed, verifier);
  const keyLabel = `${esc(verifier.name)} ${verifier.id.toString(16).padStart(8, '0')}`;
  if (verdict === 'unknown') {
    say(ui.signature, 'unknown', `signed by an unknown key: no signature by ${keyLabel} (signed by ${parsed.signatures
      .map((s) => `${esc(s.name)} ${s.id.toString(16).padStart(8, '0')}`).join(', ')})`, 'alarm');
    return say(ui.consistency, 'unchecked', 'Consistency not checked: the checkpoint is not signed by your key.', 'who');
  }
  if (verdict === 'invalid') {
    say(ui.signature, 'invalid', `signature INVALID: the signature by ${keyLabel} does not verify`, 'alarm');
    return say(ui.consistency, 'unchecked', 'Consistency not checked: the signature is not valid.', 'who');
  }
  if (cp.origin !== verifier.name) {
    say(ui.signature, 'invalid', `signature INVALID for this log: the checkpoint's origin ${esc(cp.origin)} is not the key's name`, 'alarm');
    return say(ui.consistency, 'unchecked', '', '');
  }
  say(ui.signature, 'valid', `signature valid: signed by ${keyLabel}, size ${cp.size}`, 'ok');
  // The timeline's events, proved beside the consistency check (not waited
  // for: it fetches a proof per event).
  if (ui.events) proveTimeline(ui, cp).catch((err) => say(ui.proof, 'error', esc(err.message), 'error'));

  // Consistency with the last checkpoint verified here.
  let seen = null;
  try { seen = JSON.parse(localStorage.getItem(SEEN.checkpoint) || 'null'); } catch { seen = null; }
  const remember = () => localStorage.setItem(SEEN.checkpoint, JSON.stringify({ origin: cp.origin, size: cp.size, root: toBase64(cp.root) }));
  if (!seen || seen.origin !== cp.origin || !Number.isSafeInteger(seen.size) || typeof seen.root !== 'string') {
    remember();
    return say(ui.consistency, 'first', `First checkpoint of this log seen here: size ${cp.size} remembered; later visits check that the log only grew from it.`, 'who');
  }
  const bad = (why) => say(ui.consistency, 'inconsistent',
    `NOT consistent: the log was rewritten or rolled back. ${why} You last saw size ${seen.size}, root ${esc(seen.root)}; now size ${cp.size}, root ${esc(toBase64(cp.root))}.`, 'alarm');
  let seenRoot;
  try { seenRoot = fromBase64(seen.root); } catch { seenRoot = new Uint8Array(0); }
  if (cp.size < seen.size) return bad('The log is smaller than when you last saw it.');
  let proof = [];
  if (cp.size > seen.size) {
    const pr = await fetch(`/v1/audit/proof/consistency?from=${seen.size}&to=${cp.size}`);
    if (!pr.ok) return say(ui.consistency, 'error', `The consistency proof from size ${seen.size} could not be fetched (HTTP ${pr.status}).`, 'error');
    try { proof = (await pr.json()).hashes.map(fromBase64); } catch { proof = null; }
  }
  if (!proof || !(await verifyConsistency(seen.size, cp.size, seenRoot, cp.root, proof)))
    return bad(cp.size === seen.size ? 'The root differs at the same size.' : 'The consistency proof does not verify.');
  const was = seen.size;
  remember();
  say(ui.consistency, 'consistent', `consistent with the checkpoint of size ${was} you last saw`, 'ok');
}

// Each event of the timeline proved here, from what the page was shown: its
// bytes (`canonical`) hashed with WebCrypto give the leaf, whose inclusion
// proof must lead to the root of the checkpoint just verified, and the fields
// shown must be those of the bytes. The server's `hash` and `leaf_hash` are
// not taken on trust (docs/AUDIT.md).
async function proveTimeline(ui, cp) {
  const results = await Promise.all(ui.events.map(async (ev) => {
    if (ev.position > cp.size) return { ev, state: 'later', why: 'after the checkpoint' };
    try {
      const { data } = await checkServedEvent(ev);
      const res = await fetch(`/v1/audit/proof/inclusion?position=${ev.position}&size=${cp.size}`);
      if (!res.ok) throw new Error(`the inclusion proof could not be fetched (HTTP ${res.status})`);
      const proof = (await res.json()).hashes.map(fromBase64);
      if (!(await verifyInclusion(ev.position - 1, cp.size, await leafHash(data), proof, cp.root)))
        throw new Error('its bytes are not in the signed tree');
      return { ev, state: 'proved' };
    } catch (err) {
      return { ev, state: 'not-proved', why: err.message };
    }
  }));
  if (!ui.proof.isConnected) return;
  for (const r of results) {
    const cell = ui.proof.parentElement.querySelector(`#timeline tr[data-position="${r.ev.position}"] td.proved`);
    if (!cell) continue;
    cell.parentElement.dataset.proved = r.state;
    cell.innerHTML = r.state === 'proved' ? '<span class="ok">✓</span>' : r.state === 'later' ? '<span class="who">later</span>' : `<span class="error">NOT proved: ${esc(r.why)}</span>`;
  }
  const bad = results.filter((r) => r.state === 'not-proved');
  const proved = results.filter((r) => r.state === 'proved').length;
  if (bad.length)
    return say(ui.proof, 'not-proved', `${bad.length} event${bad.length === 1 ? '' : 's'} shown NOT proved in the signed checkpoint: #${bad[0].ev.position}: ${esc(bad[0].why)}`, 'alarm');
  say(ui.proof, 'proved', `${proved} event${proved === 1 ? '' : 's'} shown, each hashed here from its bytes and proved in the signed checkpoint of size ${cp.size}`, 'ok');
}

// ---- live updates: the event stream, read with fetch so the token stays in a header

let liveAbort = null;
async function live() {
  if (liveAbort) liveAbort.abort();
  liveAbort = new AbortController();
  const ctl = liveAbort;
  let last = null;
  for (;;) {
    try {
      const headers = { Authorization: 'Bearer ' + state.token };
      if (last) headers['Last-Event-ID'] = last;
      const res = await fetch('/v1/events/live', { headers, signal: ctl.signal });
      if (!res.ok) throw new Error('live feed ' + res.status);
      $('#live').textContent = '● live';
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        let changed = false;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const id = /^id: (\d+)$/m.exec(block);
          if (id) { last = id[1]; changed = true; }
        }
        if (changed && !state.asOf) {
          // Not under a form being filled in or a list being read: after it.
          if (document.querySelector('form:focus-within, details[open], dialog[open]')) live.pending = true;
          else {
            clearTimeout(live.timer);
            live.timer = setTimeout(route, 150);
          }
        }
      }
    } catch (err) {
      if (ctl.signal.aborted) return;
    }
    $('#live').textContent = '○ reconnecting';
    await new Promise((r) => setTimeout(r, 2000));
    if (ctl.signal.aborted) return;
  }
}

// ---- wiring

window.addEventListener('hashchange', route);
$('#programme').addEventListener('change', (e) => {
  state.programme = e.target.value;
  sessionStorage.setItem('ledger-programme', state.programme);
  route();
});
$('#explain').addEventListener('close', () => {
  if (live.pending && !state.asOf) { live.pending = false; route(); }
});
$('#asof').addEventListener('change', (e) => { state.asOf = e.target.value; route(); });
$('#asof-clear').addEventListener('click', () => { state.asOf = ''; $('#asof').value = ''; route(); });
$('#signout').addEventListener('click', () => {
  sessionStorage.removeItem('ledger-token');
  state.token = '';
  state.me = null;
  if (liveAbort) liveAbort.abort();
  location.hash = '';
  signInView();
});

if (state.token) start().catch(() => signInView('Please sign in again.'));
else signInView();
