// The verifiable log, checked in the browser: base64, C2SP verifier keys,
// signed notes and tlog checkpoints, Ed25519 signatures (WebCrypto), and
// RFC 6962 consistency proofs verified as RFC 9162 §2.1.4.2 says.
// Pure functions over bytes and strings; they use only globalThis.crypto.subtle,
// so the same module runs in the page and in node's tests.

const subtle = () => globalThis.crypto.subtle;
const enc = new TextEncoder();

// ---- base64 (standard alphabet, padded), strictly

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function fromBase64(text) {
  if (typeof text !== 'string' || !B64.test(text)) throw new Error('not base64');
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toBase64(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export const toHex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) { out.set(p, i); i += p.length; }
  return out;
};

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest('SHA-256', bytes));
}

// ---- verifier keys: "<name>+<8 hex key id>+<base64(0x01 ‖ 32-byte public key)>"

// The key id: the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), as a number.
export async function keyId(name, publicKey) {
  const h = await sha256(concat(enc.encode(name + '\n'), Uint8Array.of(1), publicKey));
  return ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
}

// {name, id, publicKey} of a verifier key; throws with a reason if it is not one,
// or if its key id is not that of its name and key.
export async function parseVerifier(text) {
  const s = String(text ?? '').trim();
  const i = s.indexOf('+');
  const j = i < 0 ? -1 : s.indexOf('+', i + 1);
  if (i <= 0 || j < 0) throw new Error('a verifier key is <name>+<key id>+<key>');
  const name = s.slice(0, i);
  const idHex = s.slice(i + 1, j);
  if (/[\s+]/.test(name)) throw new Error('the key name holds a space or a +');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new Error('the key id is not 8 hex digits');
  let key;
  try { key = fromBase64(s.slice(j + 1)); } catch { throw new Error('the key is not base64'); }
  if (key.length !== 33 || key[0] !== 1) throw new Error('the key is not an Ed25519 key (0x01 and 32 bytes)');
  const publicKey = key.slice(1);
  const id = parseInt(idHex, 16);
  if ((await keyId(name, publicKey)) !== id) throw new Error('the key id does not match the name and the key');
  return { name, id, publicKey };
}

// The text of a verifier key (the inverse of parseVerifier).
export async function formatVerifier(name, publicKey) {
  const id = (await keyId(name, publicKey)).toString(16).padStart(8, '0');
  return `${name}+${id}+${toBase64(concat(Uint8Array.of(1), publicKey))}`;
}

// ---- signed notes (c2sp.org/signed-note)

// {text, signatures: [{name, id, signature}]} of a signed note: the text is
// everything up to and including the newline before the last blank line.
// Throws if the note is malformed.
export function parseNote(note) {
  if (typeof note !== 'string' || !note.endsWith('\n')) throw new Error('a signed note ends in a newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('a signed note has a blank line before its signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  const signatures = [];
  for (const line of lines) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error('a signature line is "— <key name> <base64 signature>"');
    let raw;
    try { raw = fromBase64(m[2]); } catch { throw new Error('a signature is not base64'); }
    if (raw.length < 5) throw new Error('a signature is too short');
    const id = ((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]) >>> 0;
    signatures.push({ name: m[1], id, signature: raw.slice(4) });
  }
  if (signatures.length === 0) throw new Error('a signed note has at least one signature');
  return { text, signatures };
}

// How a note stands against one verifier (from parseVerifier):
// 'valid' (a signature line by that key name and id verifies over the text),
// 'invalid' (one names that key but does not verify), or 'unknown' (no
// signature line names that key).
export async function verifyNote(note, verifier) {
  const { text, signatures } = typeof note === 'string' ? parseNote(note) : note;
  const mine = signatures.filter((s) => s.name === verifier.name && s.id === verifier.id);
  if (mine.length === 0) return 'unknown';
  const key = await subtle().importKey('raw', verifier.publicKey, { name: 'Ed25519' }, false, ['verify']);
  const body = enc.encode(text);
  for (const s of mine) {
    if (s.signature.length === 64 && (await subtle().verify('Ed25519', key, s.signature, body))) return 'valid';
  }
  return 'invalid';
}

// ---- tlog checkpoints (c2sp.org/tlog-checkpoint): "<origin>\n<size>\n<base64 root>\n[extensions]"

export function parseCheckpoint(text) {
  const lines = text.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') throw new Error('a checkpoint is origin, size and root, each on a line');
  const [origin, sizeText, rootText] = lines;
  if (!origin) throw new Error('the checkpoint has no origin');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new Error('the checkpoint size is not a whole number');
  let root;
  try { root = fromBase64(rootText); } catch { throw new Error('the checkpoint root is not base64'); }
  if (root.length !== 32) throw new Error('the checkpoint root is not 32 bytes');
  return { origin, size: Number(sizeText), root, extensions: lines.slice(3, -1) };
}

// ---- consistency proofs (RFC 6962 §2.1.2), verified by RFC 9162 §2.1.4.2

const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

// True if `proof` (an array of 32-byte arrays) proves that the tree of size
// `first` with root `firstRoot` is a prefix of the tree of size `second` with
// root `secondRoot`.
export async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 1 || first > second) return false;
  if (proof.some((p) => !(p instanceof Uint8Array) || p.length !== 32)) return false;
  if (first === second) return proof.length === 0 && equalBytes(firstRoot, secondRoot);
  if (proof.length === 0) return false;
  // Sizes beyond 2^32 would overflow JavaScript's bit operations: use BigInt.
  let fn = BigInt(first - 1);
  let sn = BigInt(second - 1);
  const path = [...proof];
  if ((BigInt(first) & BigInt(first - 1)) === 0n) path.unshift(firstRoot);
  while (fn & 1n) { fn >>= 1n; sn >>= 1n; }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if (fn & 1n || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!(fn & 1n)) while (!(fn & 1n) && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equalBytes(fr, firstRoot) && equalBytes(sr, secondRoot);
}

// ---- inclusion proofs (RFC 6962 §2.1.1), verified by RFC 9162 §2.1.3.2

// The leaf hash of an event: SHA-256(0x00 ‖ its 32-byte chain hash).
export const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));

// True if `proof` (an array of 32-byte arrays) proves that `leaf` is the leaf
// at `index` of the tree of size `size` with root `root`.
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (proof.some((p) => !(p instanceof Uint8Array) || p.length !== 32)) return false;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return false;
    if (fn & 1n || fn === sn) {
      r = await nodeHash(p, r);
      if (!(fn & 1n)) while (!(fn & 1n) && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equalBytes(r, root);
}

// ---- an event's canonical bytes (docs/STORAGE.md, the hash chain): what its
// hash is the SHA-256 of, served by /v1/events as `canonical`

// The event types by tag (1 = the first): the union Event of schemas/events.fbs,
// append-only (the dashboard's test compares it with the API's list).
export const EVENT_TYPES = ['ProgrammeOpened', 'ProgrammeRulesAmended', 'JointMeetingHeld', 'ProgrammeClosed',
  'MenteeEnrolled', 'MenteeWithdrawn', 'ApplicationSubmitted', 'ApplicationAccepted', 'ApplicationRejected',
  'PairAssigned', 'PairPeriodChanged', 'SessionLogged', 'SessionVoided', 'ReportSubmitted', 'PairCompleted',
  'PairTerminated', 'InvoiceIssued', 'InvoicePaid', 'InvoiceCancelled', 'CreditNoteIssued', 'TourScheduled',
  'TourParticipantRegistered', 'TourParticipantCancelled', 'NeedsDiagnosed', 'EvidenceAttached', 'SampleDrawn',
  'ExpenditureVerified', 'FindingRecorded', 'FinancialCorrectionApplied', 'SampleRequested', 'SubjectErased'];

// The envelope's fields read from the bytes; throws if they are not canonical bytes.
export function parseCanonical(bytes) {
  let at = 0;
  const take = (n) => {
    if (at + n > bytes.length) throw new Error('the canonical bytes end early');
    const out = bytes.subarray(at, at + n);
    at += n;
    return out;
  };
  const be = (n) => take(n).reduce((v, b) => (v << 8n) | BigInt(b), 0n);
  const dec = new TextDecoder('utf-8', { fatal: true });
  const bytesOf = () => take(Number(be(4)));
  const str = () => dec.decode(bytesOf());
  if (dec.decode(take(4)) !== 'PLE2') throw new Error('the canonical bytes do not start with PLE2');
  const e = { prevHash: take(32) };
  e.position = be(8);
  e.stream = str();
  e.streamVersion = be(8);
  e.type = Number(be(2));
  e.schemaVersion = Number(be(2));
  e.recordedAtUs = BigInt.asIntN(64, be(8));
  e.actorId = str();
  e.actorRole = str();
  e.idempotencyKey = str();
  e.correlationId = str();
  e.programmeId = str();
  e.rulesVersion = Number(be(4));
  e.payload = bytesOf();
  // The sealed personal fields: each its field, its subjects and its box.
  e.sealed = [];
  for (let n = be(4); n > 0n; n -= 1n) {
    const f = { field: Number(be(2)), subjects: [] };
    for (let m = be(4); m > 0n; m -= 1n) f.subjects.push(str());
    f.box = bytesOf();
    e.sealed.push(f);
  }
  if (at !== bytes.length) throw new Error('bytes follow the sealed fields');
  return e;
}

// Checks an event as /v1/events serves it against the bytes it carries: they
// hash to its `hash`, and the fields shown are the fields of those bytes.
// Returns {data, fields} (the 32-byte leaf data and the parsed fields), or
// throws with the first difference.
export async function checkServedEvent(ev, typeNames = EVENT_TYPES) {
  if (typeof ev.canonical !== 'string') throw new Error('no canonical bytes');
  const bytes = fromBase64(ev.canonical);
  const data = await sha256(bytes);
  if (toHex(data) !== ev.hash) throw new Error(`the bytes hash to ${toHex(data)}, not to the hash shown`);
  const f = parseCanonical(bytes);
  const differ = (what) => { throw new Error(`the ${what} shown is not the one in the bytes`); };
  if (f.position !== BigInt(ev.position)) differ('position');
  if (toHex(f.prevHash) !== ev.prevhash) differ('previous hash');
  if (f.stream !== ev.subject) differ('stream');
  if (f.streamVersion !== BigInt(ev.streamversion)) differ('stream version');
  if (f.actorId !== ev.actorid) differ('actor');
  if (!ev.actor.startsWith(`${f.actorRole}:`)) differ('role');
  if (f.rulesVersion !== ev.rulesversion) differ('rules version');
  if (ev.source !== (f.programmeId ? `/programmes/${f.programmeId}` : '/ledger')) differ('programme');
  if (ev.type !== `eu.programme-ledger.${typeNames[f.type - 1]}`) differ('type');
  if (Number(f.recordedAtUs / 1000n) !== Date.parse(ev.time)) differ('time');
  return { data, fields: f };
}
