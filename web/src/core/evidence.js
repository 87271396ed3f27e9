// Evidence documents: uploaded as they are, attached by an event, opened as a
// download; and the evidence the rules ask for that no document gives.
import { state, pidPath } from './state.js';
import { esc, words, bytes } from './format.js';
import { ApiError, api, download } from './api.js';
import { can } from './permissions.js';
import { onSubmit } from './forms.js';

const EVIDENCE_KINDS = ['invoice', 'proof_of_payment', 'attendance', 'report', 'application', 'vat_statement', 'other'];
const MAX_EVIDENCE = 20 * 1024 * 1024;

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
export function evidenceList(docs, { id = '', empty = 'No document attached.' } = {}) {
  if (!docs?.length) return `<p class="who"${id ? ` id="${id}"` : ''}>${esc(empty)}</p>`;
  return `<ul class="evidence"${id ? ` id="${id}"` : ''}>${docs.map((d) => `<li data-sha256="${esc(d.sha256)}" data-kind="${esc(d.kind)}"${d.session_id ? ` data-session="${esc(d.session_id)}"` : ''}>
    <a href="/v1/evidence/${esc(d.sha256)}" class="doc" data-evidence="${esc(d.sha256)}" data-filename="${esc(d.filename)}" download="${esc(d.filename)}">${esc(d.filename || d.sha256.slice(0, 12))}</a>
    <span class="kind">${esc(words(d.kind))}</span>${d.session_id ? ` <span class="who">session ${esc(d.session_id)}</span>` : ''}
    <span class="who">${esc(d.content_type || '')}${d.size !== undefined ? ' · ' + bytes(d.size) : ''} · #${d.position}${d.recorded_by ? ' by ' + esc(d.recorded_by) : ''}${d.note ? ' · ' + esc(d.note) : ''}</span>
    <span class="receipt who" title="SHA-256">${esc(d.sha256.slice(0, 16))}…</span></li>`).join('')}</ul>`;
}

// The form that uploads a file and attaches it: `targets` are [value, label,
// path] (the attach route); one target needs no choice.
export function evidenceForm(id, targets, label, kind = 'invoice') {
  return `<form class="card evidence-upload" id="${id}" aria-label="${esc(label)}">
    <label>Document (PDF, PNG, JPEG or text, up to 20 MiB) <input type="file" name="file" required accept="application/pdf,image/png,image/jpeg,text/plain,.pdf,.png,.jpg,.jpeg,.txt"></label>
    ${targets.length > 1 ? `<label>Of <select name="target">${targets.map(([v, l]) => `<option value="${esc(v)}">${esc(l)}</option>`).join('')}</select></label>` : ''}
    <label>Kind <select name="kind">${EVIDENCE_KINDS.map((k) => `<option value="${k}" ${k === kind ? 'selected' : ''}>${words(k)}</option>`).join('')}</select></label>
    <label>Note <input name="note"></label>
    <button type="submit">Upload and attach</button>
  </form>`;
}
export function wireEvidenceForm(form, targets) {
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

// A document's link downloads it with the token.
export function wireEvidenceLinks() {
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[data-evidence]');
    if (!a) return;
    e.preventDefault();
    let out = a.parentElement.querySelector('.doc-result');
    if (!out) { out = Object.assign(document.createElement('span'), { className: 'doc-result' }); a.after(out); }
    download(`/v1/evidence/${encodeURIComponent(a.dataset.evidence)}`, a.dataset.filename || a.dataset.evidence, out, a.dataset.filename || 'the document');
  });
}

// The evidence the rules ask for and no document gives, or null where this
// role does not read it.
export async function evidenceGaps() {
  if (!can.readControl()) return null;
  try {
    return await api(`${pidPath()}/audit/evidence-gaps`);
  } catch (err) {
    if (err.status === 401) throw err;
    return null;
  }
}
const gapText = (list) => list.map((g) => `${words(g.kind)} (${g.step}${g.session_id ? ' ' + g.session_id : ''})`).join(', ');
export const gapBadge = (list, { short = false } = {}) => (list?.length
  ? `<span class="warn gap" data-gaps="${list.length}" title="${esc(gapText(list))}">missing evidence${short ? ` (${list.length})` : ': ' + esc(gapText(list))}</span>` : '');
export const groupBy = (list, key) => {
  const m = new Map();
  for (const x of list || []) if (x[key]) (m.get(x[key]) || m.set(x[key], []).get(x[key])).push(x);
  return m;
};
