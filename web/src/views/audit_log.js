// The signed checkpoint, checked here against the verifier key the
// auditor pasted, and against the last checkpoint this browser verified; the
// events of the audit view's timeline proved in it.
import { fromBase64, toBase64, parseVerifier, parseNote, verifyNote, parseCheckpoint, verifyConsistency, checkServedEvent, leafHash, verifyInclusion } from '../tlog.js';
import { esc } from '../core/format.js';

export const SEEN = { key: 'ledger-verifier-key', checkpoint: 'ledger-seen-checkpoint' };

function say(el, stateName, html, cls = '') {
  el.dataset.state = stateName;
  el.className = cls;
  el.innerHTML = html;
}

// One check at a time, in order: a check fetches the checkpoint only after the
// one before has remembered its own, so a slower, older answer never looks
// like a rollback.
let logCheck = Promise.resolve();
export function checkLog(ui) {
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
