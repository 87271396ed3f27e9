// Browser tests of the dashboard: a real `ledger serve` with the
// demonstration data, driven in Debian's headless Chromium by playwright-core.
//   LEDGER_BIN, LEDGER_WEB_DIR, SCREENSHOT_DIR, CHROMIUM (paths) come from CTest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import * as tlog from '../src/tlog.js';
import { demoData, serve, stop } from '../../tests/js/ledger_server.mjs';

const BIN = process.env.LEDGER_BIN;
const WEB = process.env.LEDGER_WEB_DIR;
const SHOTS = process.env.SCREENSHOT_DIR || join(tmpdir(), 'ledger-screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let dir, server, base, browser, tokens;

before(async () => {
  let data;
  ({ dir, data, tokens } = demoData(BIN, 'ledger-dashboard-'));
  mkdirSync(SHOTS, { recursive: true });
  // The control of spending: a controller; the finance officer's second token,
  // as a controller (a person is the token's name, whatever its role); and the
  // controller's second token, as finance staff.
  const addToken = (name, role) => execFileSync(BIN, ['token', 'add', '--data', data, '--name', name, '--role', role],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  tokens.controller = addToken('web-controller', 'controller');
  tokens.financeAsController = addToken('demo-finance', 'controller');
  tokens.controllerAsFinance = addToken('web-controller', 'finance');
  ({ server, base } = await serve(BIN, data, ['--web', WEB]));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  if (browser) await browser.close();
  await stop(server, dir);
});

async function apiGet(path, role = 'auditor') {
  const res = await fetch(base + path, { headers: { Authorization: 'Bearer ' + tokens[role] } });
  return res.json();
}
async function apiPost(path, body, role = 'coordinator') {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + tokens[role], 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
const hours = (min) => `${Math.floor(min / 60)}h${String(min % 60).padStart(2, '0')}`;
// As the dashboard writes money.
const euro = (cents) => 'EUR ' + (cents / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
async function waitFor(cond, ms = 10000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function signIn(role, { width = 1280, height = 900 } = {}) {
  const page = await browser.newPage({ viewport: { width, height } });
  page.on('pageerror', (e) => { throw e; });
  await page.goto(base + '/');
  await page.fill('#token', tokens[role]);
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#nav a');
  return page;
}
async function choose(page, programme) {
  await page.selectOption('#programme', programme);
  await page.waitForFunction((p) => document.querySelector('#programme').value === p, programme);
}
const shot = (page, name) => page.screenshot({ path: join(SHOTS, name + '.png'), fullPage: true });

test('signing in with each role shows the views of that role', async () => {
  const expected = {
    coordinator: ['Pairs', 'Mentees', 'Applications', 'Matching', 'Tours and meetings', 'Budget', 'Hours', 'Rules', 'Audit', 'Control'],
    finance: ['Budget', 'Hours', 'Pairs', 'Mentees', 'Tours and meetings', 'Rules', 'Audit', 'Control'],
    auditor: ['Audit', 'Pairs', 'Mentees', 'Budget', 'Hours', 'Tours and meetings', 'Rules', 'Control'],
    controller: ['Control', 'Audit', 'Pairs', 'Mentees', 'Budget', 'Hours', 'Tours and meetings', 'Rules'],
    mentor: ['Pairs', 'Mentees', 'Tours and meetings', 'Rules'],
  };
  for (const [role, views] of Object.entries(expected)) {
    const page = await signIn(role);
    assert.deepEqual(await page.$$eval('#nav a', (as) => as.map((a) => a.textContent)), views);
    assert.match(await page.textContent('#who'), new RegExp(role));
    await shot(page, `signin-${role}`);
    if (role === 'mentor') {
      // A mentor sees only its own pairs.
      await page.waitForSelector('#pairs-table tbody tr');
      const api = await apiGet('/v1/programmes/reloaded-2021/pairs', 'mentor');
      const rows = await page.$$eval('#pairs-table tbody tr', (trs) => trs.map((t) => t.dataset.pair));
      assert.deepEqual(rows.sort(), api.pairs.map((p) => p.id).sort());
      assert.ok(api.pairs.every((p) => p.mentor_id === 'reloaded-2021-mentor-03'));
      // Its mentees are those of its pairs; the pages it may not see fall back to its pairs.
      await page.click('#nav a[data-view="mentees"]');
      await page.waitForSelector('#mentees-table');
      const mentees = await page.$$eval('#mentees-table tbody tr', (trs) => trs.map((t) => t.dataset.mentee));
      assert.deepEqual(mentees.sort(), [...new Set(api.pairs.map((p) => p.mentee_id))].sort());
      await page.goto(base + '/#applications');
      await page.waitForSelector('#pairs-table');
    }
    await page.close();
  }
  // A bad token is refused with a message; the token never enters the URL.
  const page = await browser.newPage();
  await page.goto(base + '/');
  await page.fill('#token', 'not-a-token');
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#signin .error');
  assert.ok(!page.url().includes('not-a-token'));
  await page.close();
});

test('the pairs table shows exactly the pairs the API returns, with the same hours', async () => {
  const page = await signIn('coordinator');
  await choose(page, 'tnst-2019');
  await page.waitForFunction(() => document.querySelectorAll('#pairs-table tbody tr').length > 20);
  const api = (await apiGet('/v1/programmes/tnst-2019/pairs')).pairs;
  const rows = await page.$$eval('#pairs-table tbody tr', (trs) =>
    trs.map((t) => ({ id: t.dataset.pair, hours: t.querySelector('.hours-used').textContent })));
  assert.deepEqual(rows.map((r) => r.id).sort(), api.map((p) => p.id).sort());
  for (const p of api) {
    const row = rows.find((r) => r.id === p.id);
    assert.ok(row.hours.startsWith(hours(p.mentee_minutes_used) + ' of '), `${p.id}: ${row.hours}`);
    assert.ok(row.hours.includes(`this pair ${hours(p.minutes_used)}`), `${p.id}: ${row.hours}`);
  }
  // Filters and sorting.
  await page.selectOption('#f-status', 'terminated');
  await page.waitForFunction(() => document.querySelectorAll('#pairs-table tbody tr').length === 1);
  assert.equal(await page.getAttribute('#pairs-table tbody tr', 'data-pair'), 'tnst-2019-p07');
  await page.selectOption('#f-status', '');
  await page.click('th button[data-sort="country"]');
  await shot(page, 'pairs');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'pairs-phone');
  await page.close();
});

test('logging a session in the form moves the hour bar', async () => {
  const pairs = (await apiGet('/v1/programmes/reloaded-2021/pairs')).pairs;
  const pair = pairs.find((p) => p.status === 'active' && p.minutes_left >= 60);
  assert.ok(pair, 'an active pair with an hour left');
  const page = await signIn('coordinator');
  await page.goto(`${base}/#pair/${pair.id}`);
  await page.waitForSelector('#log-session');
  const before = Number(await page.getAttribute('.bar[role=meter]', 'aria-valuenow'));
  await page.fill('#log-session [name=date]', pair.start_date);
  await page.fill('#log-session [name=minutes]', '60');
  await page.fill('#log-session [name=summary]', 'Reviewed the action plan.');
  await page.click('#log-session button[type=submit]');
  await page.waitForFunction((b) => Number(document.querySelector('.bar[role=meter]').getAttribute('aria-valuenow')) === b + 60, before);
  assert.equal(await page.textContent('#pair-hours'), hours(pair.minutes_used + 60));
  await shot(page, 'pair');
  await page.close();
});

test('an invoice over the cap shows fee_cap_exceeded and nothing changes', async () => {
  const pairs = (await apiGet('/v1/programmes/reloaded-2021/pairs')).pairs;
  const pair = pairs.find((p) => p.status === 'active');
  const head = (await apiGet('/v1/audit/head')).position;
  const page = await signIn('finance');
  await page.goto(`${base}/#pair/${pair.id}`);
  await page.waitForSelector('#issue-invoice');
  await page.fill('#issue-invoice [name=number]', 'OVER-1');
  await page.fill('#issue-invoice [name=issue_date]', pair.start_date);
  await page.fill('#issue-invoice [name=net]', '3100.01');
  await page.click('#issue-invoice button[type=submit]');
  await page.waitForSelector('#issue-invoice .error');
  const msg = await page.textContent('#issue-invoice .error');
  assert.match(msg, /fee_cap_exceeded/);
  assert.match(msg, /EUR 3,100\.00/);
  assert.equal((await apiGet('/v1/audit/head')).position, head);
  await shot(page, 'invoice-refused');
  // The budget view of finance staff.
  await page.goto(`${base}/#budget`);
  await page.waitForSelector('#budget-mentees tbody tr');
  await page.waitForSelector('#chart-country');
  await shot(page, 'budget');
  await page.close();
});

test('a write from another client appears without reloading', async () => {
  const page = await signIn('coordinator');
  await choose(page, 'reloaded-2021');
  await page.waitForSelector('#pairs-table tbody tr');
  await page.waitForSelector('#live:has-text("live")');
  const pairs = (await apiGet('/v1/programmes/reloaded-2021/pairs')).pairs;
  const pair = pairs.find((p) => p.status === 'active' && p.minutes_left >= 30);
  const label = () => page.textContent(`#pairs-table tr[data-pair="${pair.id}"] .hours-used`);
  assert.ok((await label()).includes(`this pair ${hours(pair.minutes_used)}`));
  const r = await apiPost(`/v1/pairs/${pair.id}/sessions`, {
    id: 'live-1', date: pair.start_date, minutes: 30, mode: 'remote', format: 'group', topics: [], summary: 'Group call.',
  });
  assert.equal(r.status, 201);
  await page.waitForFunction(([id, want]) => document.querySelector(`#pairs-table tr[data-pair="${id}"] .hours-used`)?.textContent.includes(want),
    [pair.id, `this pair ${hours(pair.minutes_used + 30)}`], { timeout: 10000 });
  await page.close();
});

test('the as-of control shows the earlier state', async () => {
  const page = await signIn('coordinator');
  await choose(page, 'tnst-2019');
  await page.waitForSelector('#pairs-table tr[data-pair="tnst-2019-p07"]');
  const status = () => page.textContent('#pairs-table tr[data-pair="tnst-2019-p07"] td:nth-child(5)');
  assert.equal(await status(), 'terminated');
  await page.fill('#asof', '2019-06-30');
  await page.dispatchEvent('#asof', 'change');
  await page.waitForFunction(() => document.querySelector('#pairs-table tr[data-pair="tnst-2019-p07"] td:nth-child(5)')?.textContent === 'active');
  const api = (await apiGet('/v1/programmes/tnst-2019/pairs?as_of=2019-06-30T23:59:59Z')).pairs;
  const p07 = api.find((p) => p.id === 'tnst-2019-p07');
  assert.ok((await page.textContent('#pairs-table tr[data-pair="tnst-2019-p07"] .hours-used')).includes(`this pair ${hours(p07.minutes_used)}`));
  await shot(page, 'as-of');
  await page.click('#asof-clear');
  await page.waitForFunction(() => document.querySelector('#pairs-table tr[data-pair="tnst-2019-p07"] td:nth-child(5)')?.textContent === 'terminated');
  await page.close();
});

test('the verify button shows the head', async () => {
  const page = await signIn('auditor');
  await page.waitForSelector('#verify');
  await page.click('#verify');
  await page.waitForSelector('#verify-result .ok');
  const head = await apiGet('/v1/audit/head');
  const text = await page.textContent('#verify-result');
  assert.ok(text.includes(head.hash), text);
  assert.ok(text.includes(`${head.position} events`), text);
  assert.ok((await page.textContent('#head')).includes(head.hash));
  // The timeline filters.
  await page.fill('#timeline-filters [name=type]', 'InvoiceCancelled');
  await page.click('#timeline-filters button');
  await page.waitForFunction(() => [...document.querySelectorAll('#timeline tbody tr')].every((tr) => tr.children[2].textContent === 'InvoiceCancelled'));
  await shot(page, 'audit');
  await page.close();
});

// ---- the verifiable log: the signed checkpoint and the consistency proofs

const seenKey = 'ledger-seen-checkpoint';
async function checkpointNow(size) {
  const note = await (await fetch(base + '/v1/audit/checkpoint' + (size ? '?size=' + size : ''))).text();
  return { note, ...tlog.parseCheckpoint(tlog.parseNote(note).text) };
}
// The verifier key as `ledger key show` prints it; here fetched from the
// server, standing in for the channel the auditor trusts.
const serverVerifier = async () => (await (await fetch(base + '/v1/audit/key')).json()).keys.find((k) => k.current).verifier;
async function enterKey(page, key) {
  await page.waitForSelector('#cp-signature:not([data-state="pending"])');
  await page.fill('#verifier-key', key);
  await page.click('#verifier-form button[type=submit]');
}
const shotCard = (page, name) => page.locator('section[aria-label="Signed checkpoint"]').screenshot({ path: join(SHOTS, name + '.png') });
const stateOf = (page, sel) => page.getAttribute(sel, 'data-state');
async function logSessions(n) {
  const pairs = (await apiGet('/v1/programmes/reloaded-2021/pairs')).pairs;
  const pair = pairs.find((p) => p.status === 'active' && p.minutes_left >= 15 * n);
  for (let i = 0; i < n; i++) {
    const r = await apiPost(`/v1/pairs/${pair.id}/sessions`, {
      id: `tlog-${Date.now().toString(36)}-${i}`, date: pair.start_date, minutes: 15, mode: 'remote', format: 'bilateral', topics: [], summary: 'Check-in.',
    });
    assert.equal(r.status, 201);
  }
}

test('the auditor checks the signed checkpoint with the key they pasted, and the log only grows', async () => {
  const page = await signIn('auditor');
  await page.waitForSelector('#cp-signature[data-state="none"]');
  assert.match(await page.textContent('#cp-signature'), /not checked/);
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), seenKey), null, 'nothing is remembered before the key is known');
  const first = await checkpointNow();
  assert.equal(await page.textContent('#checkpoint'), first.note);
  assert.equal(await page.textContent('#cp-origin'), first.origin);
  assert.equal(await page.textContent('#cp-size'), String(first.size));
  assert.equal(await page.textContent('#cp-root'), tlog.toBase64(first.root));
  // The audit pack: aimed at the checkpoint's size, fetched with the token.
  assert.equal(await page.getAttribute('#pack', 'data-href'), `/v1/audit/pack?at=${first.size}`);
  assert.equal(await page.textContent('#pack'), 'Download the audit pack');

  await enterKey(page, await serverVerifier());
  await page.waitForSelector('#cp-signature[data-state="valid"]');
  const sig = await page.textContent('#cp-signature');
  assert.match(sig, /^signature valid/);
  assert.ok(sig.includes(`size ${first.size}`), sig);
  assert.equal(await stateOf(page, '#cp-consistency'), 'first');
  const seen = JSON.parse(await page.evaluate((k) => localStorage.getItem(k), seenKey));
  assert.deepEqual(seen, { origin: first.origin, size: first.size, root: tlog.toBase64(first.root) });
  await shot(page, 'audit-checkpoint');

  // More events while the page is away; back on it, the proof from the size
  // it remembered to the new one verifies, and the new checkpoint is kept.
  await page.goto('about:blank');
  await logSessions(3);
  const later = await checkpointNow();
  assert.equal(later.size, first.size + 3);
  const proofs = [];
  page.on('request', (r) => { if (r.url().includes('/v1/audit/proof/consistency')) proofs.push(new URL(r.url()).search); });
  await page.goto(base + '/#audit');
  await page.waitForSelector('#cp-consistency[data-state="consistent"]');
  assert.equal(await page.textContent('#cp-consistency'), `consistent with the checkpoint of size ${first.size} you last saw`);
  assert.deepEqual(proofs, [`?from=${first.size}&to=${later.size}`]);
  assert.equal(await page.textContent('#cp-size'), String(later.size));
  assert.equal(JSON.parse(await page.evaluate((k) => localStorage.getItem(k), seenKey)).size, later.size);
  await shotCard(page, 'audit-consistent');

  // A remembered checkpoint of the same size with another root: a rewritten log.
  const fake = { origin: later.origin, size: later.size, root: tlog.toBase64(new Uint8Array(32).fill(7)) };
  await page.evaluate(([k, v]) => localStorage.setItem(k, v), [seenKey, JSON.stringify(fake)]);
  await page.reload();
  await page.waitForSelector('#cp-consistency[data-state="inconsistent"]');
  assert.match(await page.textContent('#cp-consistency'), /^NOT consistent: the log was rewritten or rolled back/);
  assert.equal(await page.getAttribute('#cp-consistency', 'class'), 'alarm');
  assert.equal(await stateOf(page, '#cp-signature'), 'valid');
  assert.deepEqual(JSON.parse(await page.evaluate((k) => localStorage.getItem(k), seenKey)), fake, 'the inconsistent checkpoint is not remembered');
  await shotCard(page, 'audit-not-consistent');

  // A remembered checkpoint larger than the log now: a rollback.
  const ahead = { origin: later.origin, size: later.size + 5, root: tlog.toBase64(later.root) };
  await page.evaluate(([k, v]) => localStorage.setItem(k, v), [seenKey, JSON.stringify(ahead)]);
  await page.reload();
  await page.waitForSelector('#cp-consistency[data-state="inconsistent"]');
  assert.match(await page.textContent('#cp-consistency'), /smaller than when you last saw it/);

  // A remembered older checkpoint whose root was never the log's: the proof fails.
  const forged = { origin: later.origin, size: first.size, root: tlog.toBase64(later.root) };
  await page.evaluate(([k, v]) => localStorage.setItem(k, v), [seenKey, JSON.stringify(forged)]);
  await page.reload();
  await page.waitForSelector('#cp-consistency[data-state="inconsistent"]');
  assert.match(await page.textContent('#cp-consistency'), /consistency proof does not verify/);
  await page.close();

  // Coordinators get the pack too; finance staff do not.
  const coord = await signIn('coordinator');
  await coord.goto(base + '/#audit');
  await coord.waitForSelector('#pack[data-href]');
  assert.match(await coord.getAttribute('#pack', 'data-href'), /^\/v1\/audit\/pack\?at=\d+$/);
  await coord.close();
  const fin = await signIn('finance');
  await fin.goto(base + '/#audit');
  await fin.waitForSelector('#cp-signature:not([data-state="pending"])');
  assert.equal(await fin.$('#pack'), null);
  await fin.close();
});

test('the audit page proves each event it shows from the bytes served, and not when they are changed on the way', async () => {
  // The event types by tag, as the page reads them from the bytes: the API's list, in the schema's order.
  const spec = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));
  assert.deepEqual(tlog.EVENT_TYPES.map((t) => 'eu.programme-ledger.' + t), spec.components.schemas.Event.properties.type.enum);
  const page = await signIn('auditor');
  await page.waitForSelector('#timeline tbody tr');
  assert.equal(await stateOf(page, '#timeline-proof'), 'unchecked');
  await enterKey(page, await serverVerifier());
  await page.waitForSelector('#cp-signature[data-state="valid"]');
  await page.waitForSelector('#timeline-proof[data-state="proved"]');
  const size = Number(await page.textContent('#cp-size'));
  assert.match(await page.textContent('#timeline-proof'), new RegExp(`^50 events shown, each hashed here from its bytes and proved in the signed checkpoint of size ${size}$`));
  const proved = await page.$$eval('#timeline tbody tr', (trs) => trs.map((t) => t.dataset.proved));
  assert.equal(proved.length, 50);
  assert.ok(proved.every((x) => x === 'proved'), proved.join());

  // One event's bytes changed on the way (a byte of its payload): its leaf
  // is not in the signed tree, whatever hash is shown beside it.
  const tamper = (alsoHash) => async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    const ev = body.events[3];
    const bytes = tlog.fromBase64(ev.canonical);
    bytes[bytes.length - 9] ^= 1;
    ev.canonical = tlog.toBase64(bytes);
    if (alsoHash) ev.hash = createHash('sha256').update(bytes).digest('hex');
    await route.fulfill({ response: res, json: body });
  };
  const eventsPage = (url) => url.pathname === '/v1/events';
  for (const [alsoHash, why] of [[false, /the bytes hash to [0-9a-f]{64}, not to the hash shown/], [true, /its bytes are not in the signed tree/]]) {
    await page.route(eventsPage, tamper(alsoHash));
    await page.reload();
    await page.waitForSelector('#timeline-proof[data-state="not-proved"]');
    assert.match(await page.textContent('#timeline-proof'), /^1 event shown NOT proved in the signed checkpoint: #4: /);
    assert.match(await page.textContent('#timeline-proof'), why);
    assert.equal(await page.getAttribute('#timeline tr[data-position="4"]', 'data-proved'), 'not-proved');
    assert.match(await page.textContent('#timeline tr[data-position="4"] td.proved'), /NOT proved/);
    assert.equal(await page.getAttribute('#timeline tr[data-position="5"]', 'data-proved'), 'proved');
    await page.unroute(eventsPage);
  }
  await page.locator('#timeline-proof').screenshot({ path: join(SHOTS, 'audit-not-proved.png') });
  // A field shown that the bytes do not say: refused as well.
  await page.route(eventsPage, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    body.events[3].actorid = 'staff:00000000000000000000';
    await route.fulfill({ response: res, json: body });
  });
  await page.reload();
  await page.waitForSelector('#timeline-proof[data-state="not-proved"]');
  assert.match(await page.textContent('#timeline-proof'), /#4: the actor shown is not the one in the bytes/);
  await page.unroute(eventsPage);
  await page.close();
});

test('a wrong verifier key, a malformed one, or a tampered checkpoint is not taken as valid', async () => {
  const origin = (await (await fetch(base + '/v1/audit/key')).json()).origin;
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  const wrong = await tlog.formatVerifier(origin, new Uint8Array(raw));
  const page = await signIn('auditor');
  await enterKey(page, wrong);
  await page.waitForSelector('#cp-signature[data-state="unknown"]');
  const text = await page.textContent('#cp-signature');
  assert.match(text, /^signed by an unknown key/);
  assert.ok(!text.includes('signature valid'));
  assert.equal(await page.getAttribute('#cp-signature', 'class'), 'alarm');
  assert.equal(await stateOf(page, '#cp-consistency'), 'unchecked');
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), seenKey), null, 'an unverified checkpoint is not remembered');
  await shotCard(page, 'audit-unknown-key');

  // The right name and key with a key id that is not theirs.
  const good = await serverVerifier();
  const badId = good.replace(/\+([0-9a-f]{8})\+/, (m, id) => `+${id === '00000000' ? '00000001' : '00000000'}+`);
  await enterKey(page, badId);
  await page.waitForSelector('#cp-signature[data-state="bad-key"]');
  assert.match(await page.textContent('#cp-signature'), /key id does not match/);

  // The right key, and a checkpoint whose root was changed on the way.
  await page.route('**/v1/audit/checkpoint', async (route) => {
    const res = await route.fetch();
    const lines = (await res.text()).split('\n');
    lines[2] = tlog.toBase64(new Uint8Array(32).fill(9));
    await route.fulfill({ response: res, body: lines.join('\n') });
  });
  await enterKey(page, good);
  await page.waitForSelector('#cp-signature[data-state="invalid"]');
  assert.match(await page.textContent('#cp-signature'), /^signature INVALID/);
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), seenKey), null);
  await shotCard(page, 'audit-invalid-signature');
  await page.unroute('**/v1/audit/checkpoint');
  await page.reload();
  await page.waitForSelector('#cp-signature[data-state="valid"]');
  await page.close();
});

test('tlog.js verifies the server\'s consistency proofs and refuses tampered ones', async () => {
  const verifier = await tlog.parseVerifier(await serverVerifier());
  const head = (await checkpointNow()).size;
  const cps = new Map();
  const cp = async (n) => {
    if (!cps.has(n)) {
      const c = await checkpointNow(n);
      assert.equal(await tlog.verifyNote(c.note, verifier), 'valid', `checkpoint ${n}`);
      assert.equal(c.size, n);
      cps.set(n, c);
    }
    return cps.get(n);
  };
  const proofOf = async (from, to) => {
    const body = await (await fetch(`${base}/v1/audit/proof/consistency?from=${from}&to=${to}`)).json();
    assert.equal(body.from, from);
    assert.equal(body.to, to);
    return body.hashes.map(tlog.fromBase64);
  };
  const pairs = [[1, 1], [1, 2], [2, 3], [3, 7], [4, 8], [7, 8], [8, 9], [5, 13], [1, head], [64, head], [100, head],
    [512, head], [head - 1, head], [head, head], [255, 600], [257, 513]];
  for (let a = 1; a <= 12; a++) for (let b = a; b <= 12; b++) pairs.push([a, b]);
  for (const [from, to] of pairs) {
    const proof = await proofOf(from, to);
    const [a, b] = [await cp(from), await cp(to)];
    assert.ok(await tlog.verifyConsistency(from, to, a.root, b.root, proof), `${from} → ${to}`);
    if (from === to) {
      assert.equal(proof.length, 0);
      assert.ok(!(await tlog.verifyConsistency(from, to, a.root, (await cp(to === 1 ? 2 : to - 1)).root, proof)), `${from} → ${to}, another root`);
      continue;
    }
    // Tampered: each hash of the proof with one bit flipped; a hash dropped;
    // one added; the roots swapped for others; the sizes the wrong way round.
    for (let i = 0; i < proof.length; i++) {
      const t = proof.map((h) => h.slice());
      t[i][i % 32] ^= 0x01;
      assert.ok(!(await tlog.verifyConsistency(from, to, a.root, b.root, t)), `${from} → ${to}, hash ${i} flipped`);
    }
    assert.ok(!(await tlog.verifyConsistency(from, to, a.root, b.root, proof.slice(0, -1))), `${from} → ${to}, one hash short`);
    assert.ok(!(await tlog.verifyConsistency(from, to, a.root, b.root, [...proof, proof[0]])), `${from} → ${to}, one hash more`);
    assert.ok(!(await tlog.verifyConsistency(from, to, b.root, b.root, proof)), `${from} → ${to}, the old root replaced`);
    if (to < head) assert.ok(!(await tlog.verifyConsistency(from, to, a.root, (await cp(to + 1)).root, proof)), `${from} → ${to}, a later root`);
    assert.ok(!(await tlog.verifyConsistency(to, from, b.root, a.root, proof)), `${from} → ${to}, backwards`);
  }
  // Notes and keys: a changed text fails; a key id that is not the key's is refused.
  const note = (await cp(head)).note;
  assert.equal(await tlog.verifyNote(note.replace(`\n${head}\n`, `\n${head + 1}\n`), verifier), 'invalid');
  await assert.rejects(tlog.parseVerifier(`${verifier.name}+00000000+${tlog.toBase64(Uint8Array.of(1, ...verifier.publicKey))}`), /key id/);
  assert.throws(() => tlog.fromBase64('AAA'), /base64/);
  assert.throws(() => tlog.parseNote('a\n1\nAA==\n'), /blank line/);
});

// ---- the views of every job, on a small programme of the test's own, built through the API

const P = 'web-test';  // after the demonstration's programmes in the list
const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
function addMonths(date, n) {
  const d = new Date(date + 'T00:00:00Z');
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.toISOString().slice(0, 10);
}
const RULES = {
  hour_cap_minutes: 1920, fee_cap_cents: 310000, min_months: 6, max_months: 12, application_deadline: '2099-12-31T23:59:59Z',
  cofunding_bp: 9000, mentee_countries: [], mentor_countries: [], expert_min_years: 5, max_tours_per_mentee: 2,
  knowledge_areas: ['strategy', 'governance', 'member engagement', 'service portfolio'],
};
async function must(path, body, role = 'coordinator') {
  const r = await apiPost(path, body, role);
  assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}
let own = null;
// Once: a programme with applications (one made not eligible by an amendment),
// mentees, a pair with sessions (one voided), invoices (one cancelled, one
// credited, one paid), its report, three tours and a joint meeting.
function ownProgramme() {
  own ??= (async () => {
    await must('/v1/programmes', { id: P, name: 'Web Test Track', coordinator: 'Test Cluster Network', ...RULES });
    const app = (id, name, country, profile, years, areas, quotation) => must(`/v1/programmes/${P}/applications`, {
      id, applicant_name: name, organisation: `${name} Cluster Organisation`, email: `${id}@example.org`, country, profile,
      years_experience: years, knowledge_areas: areas, quotation_cents: quotation });
    await app('wt-app-1', 'Ana Experta', 'ES', 'expert', 6, ['strategy', 'governance'], 250000);
    await app('wt-app-2', 'Bruno Manager', 'FR', 'cluster_manager', 3, ['member engagement', 'service portfolio'], 300000);
    await app('wt-app-3', 'Carla Tardi', 'IT', 'cluster_manager', 4, ['strategy'], 280000);
    await app('wt-app-4', 'Dario Mentore', 'DE', 'cluster_manager', 10, ['strategy', 'governance'], 280000);
    await app('wt-app-5', 'Eva Mentorin', 'AT', 'cluster_manager', 9, ['governance', 'member engagement'], 300000);
    await must('/v1/applications/wt-app-4/accept', { mentor_id: 'wt-mentor-1' });
    await must('/v1/applications/wt-app-5/accept', { mentor_id: 'wt-mentor-2' });
    for (const [id, name, cluster, country] of [['wt-m1', 'Salma Ben Ali', 'Olive Cluster', 'TN'], ['wt-m2', 'Youssef Amrani', 'Denim Cluster', 'MA'],
      ['wt-m3', 'Nadia Fahmy', 'Nile Tech Cluster', 'EG']])
      await must(`/v1/programmes/${P}/mentees`, { id, name, cluster_name: cluster, sectors: 'textiles', country });
    const start = day(-60);
    await must(`/v1/programmes/${P}/pairs`, { id: 'wt-p1', mentor_id: 'wt-mentor-1', mentee_id: 'wt-m1', start_date: start,
      end_date: addMonths(start, 8), agreed_fee_cents: 280000, topics: ['strategy'] });
    const session = (id, offset, minutes) => must('/v1/pairs/wt-p1/sessions', { id, date: day(offset), minutes, mode: 'remote',
      format: 'bilateral', topics: ['strategy'], summary: `Session ${id} on the strategy board.` });
    await session('s1', -50, 90);
    await session('s2', -40, 120);
    await session('s3', -30, 60);
    await must('/v1/pairs/wt-p1/sessions/s3/void', { reason: 'logged twice' });
    const invoice = (id, net) => must('/v1/pairs/wt-p1/invoices', { id, number: id.toUpperCase(), issue_date: day(-35), net_cents: net, vat_cents: 0 }, 'finance');
    await invoice('wt-inv-1', 100000);
    await invoice('wt-inv-2', 80000);
    await invoice('wt-inv-3', 5000);
    await must('/v1/invoices/wt-inv-1/payments', { paid_date: day(-20), amount_cents: 100000 }, 'finance');
    await must('/v1/invoices/wt-inv-2/credit-notes', { id: 'wt-cn-1', amount_cents: 10000, reason: 'one session not held' }, 'finance');
    await must('/v1/invoices/wt-inv-3/cancel', { reason: 'issued in error' }, 'finance');
    await must('/v1/pairs/wt-p1/report', { language: 'en', topics: ['strategy'], progress: 'The cluster drafted its strategy board.',
      outcomes: 'A two-year action plan adopted by the members.' });
    await must(`/v1/programmes/${P}/rules`, { ...RULES, expert_min_years: 8, reason: 'Experts need more experience after the mid-term review.' });
    for (const [id, region] of [['wt-tour-a', 'Catalonia'], ['wt-tour-b', 'Wallonia'], ['wt-tour-c', 'Piedmont']])
      await must(`/v1/programmes/${P}/tours`, { id, region, host: `${region} host cluster`, start_date: day(30), end_date: day(34), topics: ['strategy'] });
    await must('/v1/tours/wt-tour-a/participants', { mentee_id: 'wt-m1' });
    await must('/v1/tours/wt-tour-b/participants', { mentee_id: 'wt-m1' });
    await must('/v1/tours/wt-tour-a/participants', { mentee_id: 'wt-m2' });
    await must(`/v1/programmes/${P}/joint-meetings`, { id: 'wt-jm-1', date: day(-10), title: 'Kick-off of the web test track', pair_ids: ['wt-p1'] });
    await must('/v1/mentees/wt-m3/needs', { areas: ['governance', 'member engagement'], note: 'The board and the members drifted apart.' });
  })();
  return own;
}
async function ownPage(role, view) {
  await ownProgramme();
  const page = await signIn(role);
  await choose(page, P);
  await page.goto(`${base}/#${view}`);
  return page;
}
// The explain dialog of the figure `sel`: its rows and its sum.
async function explainOf(page, sel) {
  await page.click(sel);
  await page.waitForSelector('#explain[open] #explain-table');
  await page.waitForFunction(() => [...document.querySelectorAll('#explain-table .x-type')].every((td) => td.textContent));
  const rows = await page.$$eval('#explain-table tbody tr[data-position]', (trs) => trs.map((t) => ({
    position: Number(t.dataset.position), amount: Number(t.dataset.amount), type: t.querySelector('.x-type').textContent, date: t.querySelector('.x-date').textContent })));
  const sum = Number(await page.getAttribute('#explain-sum', 'data-sum'));
  return { rows, sum, title: await page.textContent('#explain-title') };
}
async function closeExplain(page) {
  await page.keyboard.press('Escape');
  await page.waitForSelector('#explain', { state: 'hidden' });
}
const sortNum = (a) => [...a].sort((x, y) => x - y);

test('applications: the register with eligibility and why not, filters, accept and reject from the page', async () => {
  const page = await ownPage('coordinator', 'applications');
  await page.waitForSelector('#applications-table tr[data-application="wt-app-1"]');
  const apps = (await apiGet(`/v1/programmes/${P}/applications`)).applications;
  assert.deepEqual(await page.$$eval('#applications-table tbody tr', (trs) => trs.map((t) => t.dataset.application).sort()), apps.map((a) => a.id).sort());
  // The expert with 6 years is no longer eligible under version 2 (8 years): the ledger's reason is shown.
  const a1 = apps.find((a) => a.id === 'wt-app-1');
  assert.equal(a1.eligible, false);
  assert.match(a1.not_eligible_because[0], /8/);
  assert.deepEqual(await page.$$eval('tr[data-application="wt-app-1"] ul.why li', (lis) => lis.map((l) => l.textContent)), a1.not_eligible_because);
  assert.equal(await page.$('tr[data-application="wt-app-2"] ul.why'), null);
  // Filters.
  await page.selectOption('#a-eligible', 'false');
  await page.waitForFunction(() => document.querySelectorAll('#applications-table tbody tr').length === 1);
  assert.equal(await page.getAttribute('#applications-table tbody tr', 'data-application'), 'wt-app-1');
  await page.selectOption('#a-eligible', '');
  await page.selectOption('#a-status', 'accepted');
  await page.waitForFunction(() => [...document.querySelectorAll('#applications-table tbody tr')].every((t) => t.dataset.status === 'accepted'));
  assert.equal(await page.$$eval('#applications-table tbody tr', (trs) => trs.length), 2);
  await page.selectOption('#a-status', '');
  await page.waitForSelector('tr[data-application="wt-app-2"] form.accept');
  await shot(page, 'applications');
  // Accept with a mentor id, reject with a reason.
  await page.fill('tr[data-application="wt-app-2"] form.accept [name=mentor_id]', 'wt-mentor-3');
  await page.click('tr[data-application="wt-app-2"] form.accept button');
  await page.waitForSelector('tr[data-application="wt-app-2"][data-status="accepted"]');
  assert.match(await page.textContent('tr[data-application="wt-app-2"] td.status'), /wt-mentor-3/);
  await page.fill('tr[data-application="wt-app-3"] form.reject [name=reason]', 'No cluster experience outside Italy.');
  await page.click('tr[data-application="wt-app-3"] form.reject button');
  await page.waitForSelector('tr[data-application="wt-app-3"][data-status="rejected"]');
  const after = await apiGet(`/v1/programmes/${P}/applications`);
  const byId = Object.fromEntries(after.applications.map((a) => [a.id, a]));
  assert.equal(byId['wt-app-2'].status, 'accepted');
  assert.equal(byId['wt-app-2'].mentor_id, 'wt-mentor-3');
  assert.equal(byId['wt-app-3'].status, 'rejected');
  assert.equal(byId['wt-app-3'].rejection_reason, 'No cluster experience outside Italy.');
  // A second decision is refused with the ledger's message.
  await page.close();
});

test('rules: the rules in force and every amendment with its version', async () => {
  const page = await ownPage('auditor', 'rules');
  await page.waitForSelector('#rules-history li[data-version="2"]');
  const prog = await apiGet(`/v1/programmes/${P}`);
  const stream = (await apiGet(`/v1/streams/programme-${P}`)).events;
  const amended = stream.find((e) => e.type.endsWith('ProgrammeRulesAmended'));
  assert.equal(prog.rules_version, 2);
  assert.equal(amended.rulesversion, 2);
  assert.equal(await page.textContent('#rules-version'), 'version 2');
  assert.equal(await page.textContent('#rules-table tr[data-rule="expert_min_years"] td'), '8');
  assert.equal(await page.textContent('#rules-table tr[data-rule="expert_min_years"] td:last-child'), 'version 2');
  assert.equal(await page.textContent('#rules-table tr[data-rule="hour_cap_minutes"] td'), '32h00');
  const v2 = await page.textContent('#rules-history li[data-version="2"]');
  assert.ok(v2.includes(amended.data.reason), v2);
  assert.ok(v2.includes(`position ${amended.position}`), v2);
  assert.deepEqual(await page.$$eval('#rules-history li[data-version="2"] ul.changes li', (lis) => lis.map((l) => l.textContent)),
    ["An expert's minimum years of experience: 5 → 8"]);
  assert.match(await page.textContent('#rules-history li[data-version="1"]'), /the rules the programme opened with/);
  await shot(page, 'rules');
  await page.close();
});

test('tours and joint meetings: every participant, the 2-of-4 limit, and who attended', async () => {
  const page = await ownPage('coordinator', 'tours');
  await page.waitForSelector('section.tour[data-tour="wt-tour-a"]');
  const tours = (await apiGet(`/v1/programmes/${P}/tours`)).tours;
  for (const t of tours) {
    const ids = await page.$$eval(`section.tour[data-tour="${t.id}"] tbody tr[data-id]`, (trs) => trs.map((r) => r.dataset.id));
    assert.deepEqual(ids.sort(), [...(t.people ? t.people.map((p) => p.id) : t.participants)].sort(), t.id);
  }
  assert.equal(await page.textContent('section.tour[data-tour="wt-tour-a"] tr[data-id="wt-m1"] td'), 'Salma Ben Ali');
  assert.equal(await page.getAttribute('#tour-counts tr[data-mentee="wt-m1"]', 'data-count'), '2');
  assert.match(await page.textContent('#tour-counts tr[data-mentee="wt-m1"]'), /2 of 2 · at the limit/);
  // A third tour is refused with the ledger's message.
  await page.selectOption('#register-participant [name=tour]', 'wt-tour-c');
  await page.selectOption('#register-participant [name=mentee_id]', 'wt-m1');
  await page.click('#register-participant button[type=submit]');
  await page.waitForSelector('#register-participant .error');
  assert.match(await page.textContent('#register-participant .error'), /tour_limit_exceeded/);
  // A network manager: no limit; the other kinds are listed with the cluster managers.
  await page.selectOption('#register-participant [name=kind]', 'network_manager');
  await page.fill('#register-participant [name=participant_id]', 'wt-nm-1');
  await page.fill('#register-participant [name=name]', 'Leila Haddad');
  await page.fill('#register-participant [name=organisation]', 'Med Cluster Network');
  await page.fill('#register-participant [name=country]', 'tn');
  await page.click('#register-participant button[type=submit]');
  await page.waitForSelector('section.tour[data-tour="wt-tour-c"] tr[data-kind="network_manager"]');
  const c = (await apiGet(`/v1/programmes/${P}/tours`)).tours.find((t) => t.id === 'wt-tour-c');
  assert.deepEqual(c.people.map((x) => [x.kind, x.id, x.name, x.organisation, x.country]), [['network_manager', 'wt-nm-1', 'Leila Haddad', 'Med Cluster Network', 'TN']]);
  assert.deepEqual(await page.$$eval('section.tour[data-tour="wt-tour-c"] tr[data-kind="network_manager"] td', (tds) => tds.slice(0, 4).map((t) => t.textContent)),
    ['Leila Haddad', 'network manager', 'Med Cluster Network', 'TN']);
  // Who attended the joint meeting.
  const jm = (await apiGet(`/v1/programmes/${P}/joint-meetings`)).joint_meetings[0];
  assert.deepEqual(await page.$$eval('tr[data-meeting="wt-jm-1"] li', (lis) => lis.map((l) => l.dataset.pair)), jm.pair_ids);
  assert.match(await page.textContent('tr[data-meeting="wt-jm-1"] li'), /Dario Mentore with Salma Ben Ali \(Olive Cluster, TN\)/);
  await shot(page, 'tours');
  await page.close();
});

test('explain: each euro amount and hour total opens the events it was summed from', async () => {
  const page = await ownPage('finance', 'budget');
  await page.waitForSelector('#total-agreed button.fig');
  const b = await apiGet(`/v1/programmes/${P}/budget?explain=1`);
  const t = b.totals;
  // Agreed: the pair's assignment.
  let x = await explainOf(page, '#total-agreed button');
  assert.deepEqual(x.rows.map((r) => r.position), sortNum(t.explain.agreed_cents.map((e) => e.position)));
  assert.equal(x.sum, t.agreed_cents);
  assert.deepEqual(x.rows.map((r) => r.type), ['PairAssigned']);
  await closeExplain(page);
  // Invoiced net: three invoices, the cancellation and the credit note, signed.
  x = await explainOf(page, '#total-net button');
  assert.equal(x.sum, t.net_invoiced_cents);
  assert.equal(x.rows.reduce((a, r) => a + r.amount, 0), t.net_invoiced_cents);
  assert.deepEqual(x.rows.map((r) => r.position), sortNum([...t.explain.invoiced_cents, ...t.explain.credited_cents].map((e) => e.position)));
  assert.deepEqual(x.rows.map((r) => r.type), ['InvoiceIssued', 'InvoiceIssued', 'InvoiceIssued', 'CreditNoteIssued', 'InvoiceCancelled']);
  assert.deepEqual(x.rows.map((r) => r.amount), [100000, 80000, 5000, -10000, -5000]);
  assert.equal(x.rows[0].date, day(-35));
  // An event's details, from the log.
  await page.click(`#explain-table button[data-event="${x.rows[3].position}"]`);
  await page.waitForSelector('#explain-table tr.x-detail pre');
  assert.match(await page.textContent('#explain-table tr.x-detail pre'), /one session not held/);
  await shot(page, 'explain');
  await closeExplain(page);
  // A mentee's line: the fee cap less what was invoiced.
  const m = b.mentees.find((l) => l.mentee_id === 'wt-m1');
  x = await explainOf(page, 'tr[data-mentee="wt-m1"] td:last-child button');
  assert.equal(x.sum, m.left_cents);
  assert.equal(m.left_cents, 310000 - 170000);
  await closeExplain(page);
  // The pair's figures and its hours (the voided session left out).
  const pair = await apiGet('/v1/pairs/wt-p1');
  await page.goto(`${base}/#pair/wt-p1`);
  await page.waitForSelector('#pair-invoiced button');
  x = await explainOf(page, '#pair-invoiced button');
  assert.equal(x.sum, pair.invoiced_cents - pair.credited_cents);
  const pex = (await apiGet('/v1/pairs/wt-p1?explain=1')).explain;
  if (pex) assert.deepEqual(x.rows.map((r) => r.position), sortNum([...pex.invoiced_cents, ...pex.credited_cents].map((e) => e.position)));
  assert.deepEqual(x.rows.map((r) => r.type), ['InvoiceIssued', 'InvoiceIssued', 'InvoiceIssued', 'CreditNoteIssued', 'InvoiceCancelled']);
  await closeExplain(page);
  x = await explainOf(page, '#pair-agreed button');
  assert.deepEqual(x.rows.map((r) => [r.type, r.amount]), [['PairAssigned', 280000]]);
  await closeExplain(page);
  x = await explainOf(page, '#pair-paid button');
  assert.equal(x.sum, pair.paid_cents);
  assert.deepEqual(x.rows.map((r) => r.type), ['InvoicePaid']);
  await closeExplain(page);
  x = await explainOf(page, '#pair-hours button');
  assert.equal(x.sum, pair.minutes_used);
  assert.equal(pair.minutes_used, 210);
  assert.deepEqual(x.rows.map((r) => r.position), pair.sessions.filter((s) => !s.voided).map((s) => s.position));
  assert.match(x.title, /3h30/);
  await closeExplain(page);
  // The pairs list: the mentee's hours and the pair's, from the hours' explain lists.
  const byMentee = (await apiGet(`/v1/programmes/${P}/hours?group_by=mentee&explain=1`, 'finance')).groups.find((g) => g.key === 'wt-m1');
  await page.goto(`${base}/#pairs`);
  await page.waitForSelector('#pairs-table tr[data-pair="wt-p1"] .hours-used button');
  x = await explainOf(page, '#pairs-table tr[data-pair="wt-p1"] .hours-used button:first-child');
  assert.equal(x.sum, pair.mentee_minutes_used);
  assert.deepEqual(x.rows, byMentee.explain.map((e) => ({ position: e.position, amount: e.minutes, type: 'SessionLogged', date: e.date })));
  assert.deepEqual(x.rows.map((r) => r.date), [day(-50), day(-40)]);
  await closeExplain(page);
  await page.close();
});

test('explain: a figure still on screen opens while the view is being drawn again', async () => {
  const page = await ownPage('finance', 'budget');
  await page.waitForSelector('#total-agreed button.fig');
  // The next budget asked for is held until the figure has been clicked.
  let release;
  const held = new Promise((r) => { release = r; });
  let asked;
  const askedNow = new Promise((r) => { asked = r; });
  await page.route('**/budget?explain=1', async (r) => { asked(); await held; await r.continue(); });
  await page.evaluate(() => window.dispatchEvent(new HashChangeEvent('hashchange')));
  await askedNow;
  await page.click('#total-agreed button');
  await page.waitForSelector('#explain[open] #explain-table', { timeout: 5000 });
  const b = await apiGet(`/v1/programmes/${P}/budget`);
  assert.equal(Number(await page.getAttribute('#explain-sum', 'data-sum')), b.totals.agreed_cents);
  release();
  await closeExplain(page);
  await page.waitForSelector('#total-agreed button.fig');
  const x = await explainOf(page, '#total-agreed button');
  assert.equal(x.sum, b.totals.agreed_cents, 'the figures of the view drawn again open too');
  await page.close();
});

test('hours: each total, by any grouping, opens the sessions it was summed from', async () => {
  const page = await ownPage('auditor', 'hours');
  await page.waitForSelector('#hours-table');
  await page.selectOption('#hours-by', 'pair');
  await page.waitForSelector('#hours-table tr[data-key="wt-p1"] button.fig');
  const api = await apiGet(`/v1/programmes/${P}/hours?group_by=pair&explain=1`);
  assert.deepEqual(await page.$$eval('#hours-table tbody tr', (trs) => trs.map((t) => [t.dataset.key, Number(t.dataset.minutes)])),
    api.groups.map((g) => [g.key, g.minutes]));
  const g = api.groups.find((y) => y.key === 'wt-p1');
  const x = await explainOf(page, '#hours-table tr[data-key="wt-p1"] button.fig');
  assert.equal(x.sum, g.minutes);
  assert.deepEqual(x.rows.map((r) => r.position), g.explain.map((e) => e.position));
  await closeExplain(page);
  await page.selectOption('#hours-by', 'month');
  await page.waitForFunction(() => document.querySelector('#hours-table th').textContent === 'Month');
  assert.equal(await page.textContent('#hours-total'), hours(api.total_minutes));
  await page.selectOption('#hours-by', 'mentee');
  await page.waitForSelector('#hours-table tr[data-key="wt-m1"]');
  await shot(page, 'hours');
  await page.close();
});

test('finance exports: the budget workbook is fetched with the token and saved', async () => {
  const page = await ownPage('finance', 'budget');
  await page.waitForSelector('#xlsx');
  const xlsx = async () => {
    const [dl, res] = await Promise.all([page.waitForEvent('download'), page.waitForResponse((r) => r.url().includes('/budget.xlsx')), page.click('#xlsx')]);
    return { dl, url: res.url(), auth: (await res.request().allHeaders()).authorization, status: res.status() };
  };
  const first = await xlsx();
  assert.equal(first.dl.suggestedFilename(), `budget-${P}.xlsx`);
  assert.deepEqual([first.url, first.auth, first.status], [`${base}/v1/programmes/${P}/budget.xlsx`, 'Bearer ' + tokens.finance, 200]);
  assert.equal(readFileSync(await first.dl.path()).subarray(0, 4).toString('latin1'), 'PK\x03\x04', 'a zip: the workbook');
  // As of a day (the end of today: the programme was opened today): the same date goes with it.
  const shown = await page.$('#xlsx');
  await page.fill('#asof', day(0));
  await page.dispatchEvent('#asof', 'change');
  await shown.waitForElementState('hidden');
  await page.waitForSelector('#xlsx');
  const second = await xlsx();
  assert.equal(second.dl.suggestedFilename(), `budget-${P}-${day(0)}.xlsx`);
  assert.equal(new URL(second.url).searchParams.get('as_of'), `${day(0)}T23:59:59Z`);
  assert.equal(second.status, 200);
  await page.close();
});

test('mentees: needs diagnosed from the page, pairs, hours and fee against both caps, tours', async () => {
  const page = await ownPage('coordinator', 'mentees');
  await page.waitForSelector('#mentees-table tr[data-mentee="wt-m1"]');
  const ms = (await apiGet(`/v1/programmes/${P}/mentees`)).mentees;
  assert.deepEqual(await page.$$eval('#mentees-table tbody tr', (trs) => trs.map((t) => t.dataset.mentee).sort()), ms.map((m) => m.id).sort());
  const m1 = ms.find((m) => m.id === 'wt-m1');
  assert.equal(await page.textContent('tr[data-mentee="wt-m1"] .mentee-hours'), `${hours(m1.minutes_used)} of 32h00, ${hours(m1.minutes_left)} left`);
  assert.equal(await page.textContent('tr[data-mentee="wt-m1"] .mentee-fee'), 'EUR 1,700.00 of EUR 3,100.00; agreed EUR 2,800.00, EUR 1,400.00 left');
  assert.equal(m1.fee_left_cents, 140000);
  assert.match(await page.textContent('tr[data-mentee="wt-m1"] td:last-child'), /^2 of 2/);
  assert.deepEqual(await page.$$eval('tr[data-mentee="wt-m3"] ul.needs li', (lis) => lis.map((l) => l.textContent)), ['governance', 'member engagement']);
  let x = await explainOf(page, 'tr[data-mentee="wt-m1"] .mentee-fee button:first-child');
  assert.equal(x.sum, m1.net_invoiced_cents);
  await closeExplain(page);
  x = await explainOf(page, 'tr[data-mentee="wt-m1"] .mentee-hours button');
  assert.equal(x.sum, m1.minutes_used);
  await closeExplain(page);
  // The diagnosis, from the page.
  assert.match(await page.textContent('tr[data-mentee="wt-m2"] .needs-cell'), /not diagnosed/);
  await page.click('tr[data-mentee="wt-m2"] details summary');
  await page.check('tr[data-mentee="wt-m2"] form.diagnose input[value="member engagement"]');
  await page.check('tr[data-mentee="wt-m2"] form.diagnose input[value="service portfolio"]');
  await page.fill('tr[data-mentee="wt-m2"] form.diagnose [name=note]', 'Few services for the members.');
  await page.click('tr[data-mentee="wt-m2"] form.diagnose button[type=submit]');
  await page.waitForSelector('tr[data-mentee="wt-m2"] ul.needs li');
  const m2 = await apiGet('/v1/mentees/wt-m2');
  assert.deepEqual(m2.needs.areas, ['member engagement', 'service portfolio']);
  assert.equal(m2.needs.note, 'Few services for the members.');
  await shot(page, 'mentees');
  await page.close();
});

test('matching: the ranked suggestions with their reasons, and the pair created from the page', async () => {
  const page = await ownPage('coordinator', 'matching/wt-m3');
  await page.waitForSelector('#suggestions li.suggestion');
  const sg = await apiGet('/v1/mentees/wt-m3/mentor-suggestions');
  assert.ok(sg.suggestions.length >= 2);
  assert.deepEqual(await page.$$eval('#suggestions li.suggestion', (lis) => lis.map((l) => [l.dataset.mentor, Number(l.dataset.score)])),
    sg.suggestions.map((y) => [y.mentor_id, y.score]));
  for (const y of sg.suggestions) {
    const parts = await page.$$eval(`li.suggestion[data-mentor="${y.mentor_id}"] table.parts tbody tr`, (trs) => trs.map((t) => ({
      name: t.dataset.part, points: Number(t.children[1].textContent), why: t.children[2].textContent })));
    assert.deepEqual(parts, y.parts);
    assert.equal(y.parts.reduce((a, p) => a + p.points, 0), y.score);
  }
  assert.match(await page.textContent('#match-needs'), /governance, member engagement/);
  await shot(page, 'matching');
  // The second mentor, with a topic the mentee does not need: refused without a reason.
  const second = sg.suggestions[1];
  await page.click(`button.choose[data-mentor="${second.mentor_id}"]`);
  assert.equal(await page.inputValue('#create-pair [name=mentor_id]'), second.mentor_id);
  const extra = second.offered.find((a) => !second.matched.includes(a));
  assert.ok(extra, 'a topic offered but not needed');
  await page.check(`#create-pair input[name=topics][value="${extra}"]`);
  await page.fill('#create-pair [name=id]', 'wt-p3');
  await page.click('#create-pair button[type=submit]');
  await page.waitForSelector('#create-pair .error');
  assert.match(await page.textContent('#create-pair .error'), /topics_not_matched/);
  await page.fill('#create-pair [name=override_reason]', 'The mentee asked for strategy coaching as well.');
  await page.click('#create-pair button[type=submit]');
  await page.waitForSelector('#pair-hours');
  const pr = await apiGet('/v1/pairs/wt-p3');
  assert.equal(pr.mentor_id, second.mentor_id);
  assert.equal(pr.mentee_id, 'wt-m3');
  assert.equal(pr.override_reason, 'The mentee asked for strategy coaching as well.');
  assert.deepEqual([...pr.topics].sort(), [...second.matched, extra].sort());
  await page.close();
});


test('the pair statement prints its sessions, hours, invoices, payments and report', async () => {
  const page = await ownPage('coordinator', 'pair/wt-p1');
  await page.click('#statement-link');
  await page.waitForSelector('#statement');
  const pair = await apiGet('/v1/pairs/wt-p1');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.isVisible('header.top'), false);
  assert.equal(await page.isVisible('#print'), false);
  assert.equal(await page.isVisible('#statement'), true);
  assert.equal(await page.$$eval('#statement-sessions tbody tr', (trs) => trs.length), pair.sessions.length);
  assert.equal(await page.$$eval('#statement-sessions tbody tr.voided', (trs) => trs.length), 1);
  assert.match(await page.textContent('#statement-hours'), new RegExp(`^${hours(pair.minutes_used)} in 2 sessions`));
  assert.equal(await page.$$eval('#statement-invoices tbody tr', (trs) => trs.length), 3);
  assert.deepEqual(await page.$$eval('#statement-payments tbody tr td:nth-child(3)', (tds) => tds.map((t) => t.textContent)), ['EUR 1,000.00']);
  assert.match(await page.textContent('#statement-report'), /The cluster drafted its strategy board\./);
  assert.match(await page.textContent('#statement-report'), /A two-year action plan adopted by the members\./);
  await shot(page, 'statement');
  await page.close();
});

test('the new views follow the as-of date and the live feed', async () => {
  await ownProgramme();
  const page = await signIn('coordinator');
  await choose(page, 'tnst-2019');
  // As of 2019-02-10: fewer applications; no tour yet; the hours of that day.
  const asOf = '2019-02-10';
  const then = (await apiGet(`/v1/programmes/tnst-2019/applications?as_of=${asOf}T23:59:59Z`)).applications;
  const now = (await apiGet('/v1/programmes/tnst-2019/applications')).applications;
  assert.ok(then.length < now.length);
  await page.goto(`${base}/#applications`);
  await page.waitForSelector('#applications-table');
  await page.fill('#asof', asOf);
  await page.dispatchEvent('#asof', 'change');
  await page.waitForFunction((n) => document.querySelectorAll('#applications-table tbody tr').length === n, then.length);
  assert.equal(await page.$('#applications-table form'), null, 'no decision on the past');
  const toursThen = (await apiGet(`/v1/programmes/tnst-2019/tours?as_of=${asOf}T23:59:59Z`)).tours;
  const toursNow = (await apiGet('/v1/programmes/tnst-2019/tours')).tours;
  assert.ok(toursThen.length < toursNow.length);
  await page.goto(`${base}/#tours`);
  await page.waitForSelector('#tours');
  assert.deepEqual(await page.$$eval('#tours section.tour', (s) => s.map((t) => [t.dataset.tour, t.querySelectorAll('tr[data-id]').length])),
    toursThen.map((t) => [t.id, (t.people || t.participants).length]));
  const mid = '2019-06-30';
  await page.fill('#asof', mid);
  await page.dispatchEvent('#asof', 'change');
  const hoursThen = await apiGet(`/v1/programmes/tnst-2019/hours?group_by=mentee&as_of=${mid}T23:59:59Z`);
  await page.goto(`${base}/#hours`);
  await page.waitForFunction((want) => document.querySelector('#hours-total')?.textContent === want, hours(hoursThen.total_minutes));
  const menteesThen = (await apiGet(`/v1/programmes/tnst-2019/mentees?as_of=${mid}T23:59:59Z`)).mentees;
  const menteesNow = (await apiGet('/v1/programmes/tnst-2019/mentees')).mentees;
  const moved = menteesThen.find((m) => menteesNow.find((n) => n.id === m.id).minutes_used !== m.minutes_used);
  assert.ok(moved, 'a mentee whose hours grew after the day');
  await page.goto(`${base}/#mentees`);
  await page.waitForFunction(([id, want]) => document.querySelector(`tr[data-mentee="${id}"] .mentee-hours`)?.textContent.startsWith(want), [moved.id, `${hours(moved.minutes_used)} of `]);
  await page.goto(`${base}/#tours`);
  await page.click('#asof-clear');
  await page.waitForFunction((n) => document.querySelectorAll('#tours section.tour').length === n, toursNow.length);
  // Live: a tour participant and an application written by another client appear.
  await choose(page, P);
  await page.waitForSelector('section.tour[data-tour="wt-tour-b"]');
  await page.waitForSelector('#live:has-text("live")');
  await must('/v1/tours/wt-tour-b/participants', { mentee_id: 'wt-m3' });
  await page.waitForSelector('section.tour[data-tour="wt-tour-b"] tr[data-id="wt-m3"]', { timeout: 10000 });
  await page.goto(`${base}/#rules`);
  await page.waitForSelector('#rules-history');
  await must(`/v1/programmes/${P}/rules`, { ...RULES, expert_min_years: 8, max_tours_per_mentee: 3, reason: 'A fourth tour was funded.' });
  await page.waitForSelector('#rules-history li[data-version="3"]', { timeout: 10000 });
  assert.equal(await page.textContent('#rules-version'), 'version 3');
  await must(`/v1/programmes/${P}/rules`, { ...RULES, expert_min_years: 8, reason: 'Back to two tours.' });
  await page.goto(`${base}/#mentees`);
  await page.waitForSelector('tr[data-mentee="wt-m1"] .mentee-hours');
  const m1 = await apiGet('/v1/mentees/wt-m1');
  await must('/v1/pairs/wt-p1/sessions', { id: 'live-s4', date: day(-5), minutes: 45, mode: 'remote', format: 'bilateral', topics: ['strategy'], summary: 'A call.' });
  await page.waitForFunction((want) => document.querySelector('tr[data-mentee="wt-m1"] .mentee-hours')?.textContent.startsWith(want), `${hours(m1.minutes_used + 45)} of `, { timeout: 10000 });
  await page.close();
});

test('VAT: a payment form pays the VAT too, and the budget shows VAT invoiced, paid and its eligibility', async () => {
  await ownProgramme();
  // A pair of its own with a 20% VAT invoice, so that the figures above stay as they are.
  const start = day(-60);
  await must(`/v1/programmes/${P}/pairs`, { id: 'wt-p-vat', mentor_id: 'wt-mentor-2', mentee_id: 'wt-m2', start_date: start,
    end_date: addMonths(start, 8), agreed_fee_cents: 200000, topics: ['member engagement'] });
  await must('/v1/pairs/wt-p-vat/invoices', { id: 'wt-inv-vat', number: 'VAT-1', issue_date: day(-10), net_cents: 100000, vat_cents: 20000 }, 'finance');
  const page = await signIn('finance');
  await choose(page, P);
  await page.goto(`${base}/#pair/wt-p-vat`);
  const form = 'form.pay[data-invoice="wt-inv-vat"]';
  await page.waitForSelector(form);
  assert.equal(await page.inputValue(`${form} input[name="vat"]`), '200.00', 'the VAT still due is offered');
  await page.fill(`${form} input[name="paid_date"]`, day(-2));
  await page.click(`${form} button[type="submit"]`);
  await waitFor(async () => (await apiGet('/v1/invoices/wt-inv-vat')).vat_due_cents === 0);
  const inv = await apiGet('/v1/invoices/wt-inv-vat');
  assert.deepEqual([inv.due_cents, inv.vat_paid_cents, inv.payments[0].vat_cents], [0, 20000, 20000]);
  await page.goto(`${base}/#budget`);
  await page.waitForSelector('#vat-paid');
  const b = await apiGet(`/v1/programmes/${P}/budget`);
  assert.equal(await page.textContent('#vat-paid'), euro(b.totals.vat_paid_cents));
  assert.equal(await page.textContent('#vat-invoiced'), euro(b.totals.vat_invoiced_cents - b.totals.vat_credited_cents));
  assert.equal(await page.textContent('#eligible'), euro(b.totals.eligible_cents));
  assert.equal(b.totals.eligible_cents, b.totals.net_invoiced_cents, 'VAT is not eligible under these rules');
  assert.match(await page.textContent('#vat-eligible'), /not eligible/);
  const x = await explainOf(page, '#vat-paid button');
  assert.deepEqual(x.rows.map((r) => [r.type, r.amount]), [['InvoicePaid', 20000]]);
  await page.close();
});

// ---- the control of spending: samples, verification with four eyes, findings
// and corrections, evidence documents, gaps and late entries; on a programme
// of its own, built through the API, so that the figures above stay as they are

const C = 'web-control';
let controlled = null;
// Once: a programme whose rules ask for documents, a pair with an early and a
// recent session, three invoices (one dated before the first session), two
// paid (one payment dated before its invoice).
function controlProgramme() {
  controlled ??= (async () => {
    await must('/v1/programmes', { id: C, name: 'Control Test Track', coordinator: 'Test Cluster Network', ...RULES,
      evidence_required: ['invoice:invoice', 'payment:proof_of_payment', 'session:attendance'], retention_years: 7 });
    await must(`/v1/programmes/${C}/applications`, { id: 'wc-app-1', applicant_name: 'Greta Kontrolle', organisation: 'Alpine Cluster',
      email: 'wc-app-1@example.org', country: 'AT', profile: 'cluster_manager', years_experience: 12, knowledge_areas: ['strategy'], quotation_cents: 250000 });
    await must('/v1/applications/wc-app-1/accept', { mentor_id: 'wc-mentor-1' });
    await must(`/v1/programmes/${C}/mentees`, { id: 'wc-m1', name: 'Karim Haddad', cluster_name: 'Date Palm Cluster', sectors: 'agrifood', country: 'TN' });
    const start = day(-60);
    await must(`/v1/programmes/${C}/pairs`, { id: 'wc-p1', mentor_id: 'wc-mentor-1', mentee_id: 'wc-m1', start_date: start,
      end_date: addMonths(start, 8), agreed_fee_cents: 250000, topics: ['strategy'] });
    for (const [id, offset] of [['wc-s1', -45], ['wc-s2', -3]])
      await must('/v1/pairs/wc-p1/sessions', { id, date: day(offset), minutes: 120, mode: 'remote', format: 'bilateral', topics: ['strategy'], summary: `Session ${id}.` });
    for (const [id, net, issued] of [['wc-inv-1', 120000, -30], ['wc-inv-2', 60000, -20], ['wc-inv-3', 30000, -50]])
      await must('/v1/pairs/wc-p1/invoices', { id, number: id.toUpperCase(), issue_date: day(issued), net_cents: net, vat_cents: 0 }, 'finance');
    await must('/v1/invoices/wc-inv-1/payments', { paid_date: day(-10), amount_cents: 120000 }, 'finance');
    await must('/v1/invoices/wc-inv-2/payments', { paid_date: day(-25), amount_cents: 60000 }, 'finance');
  })();
  return controlled;
}
async function controlPage(role, view) {
  await controlProgramme();
  const page = await signIn(role);
  await choose(page, C);
  await page.goto(`${base}/#${view}`);
  return page;
}
const headNow = async () => (await apiGet('/v1/audit/head')).position;

test('control: a controller draws a sample, sees what it selected and why, and verifies an invoice beside its documents', async () => {
  const page = await controlPage('controller', 'control');
  assert.equal(await page.getAttribute('#nav a[aria-current]', 'data-view'), 'control');
  await page.waitForSelector('#draw-sample');
  assert.equal(await page.inputValue('#draw-sample [name=id]'), 'S-01');
  // Too large a sample is refused with the ledger's message, and nothing is written.
  const head = await headNow();
  await page.selectOption('#draw-sample [name=population]', 'invoices_paid');
  await page.selectOption('#draw-sample [name=method]', 'monetary_unit');
  await page.fill('#draw-sample [name=size]', '3');
  await page.click('#draw-sample button[type=submit]');
  await page.waitForSelector('#draw-sample .error');
  assert.match(await page.textContent('#draw-sample .error'), /sample_too_large/);
  assert.equal(await headNow(), head);
  // Monetary-unit sampling of the invoices paid: two points over EUR 1,800.00.
  // The request first: nothing drawn, no seed yet, the draw not possible.
  await page.fill('#draw-sample [name=size]', '2');
  await page.fill('#draw-sample [name=reason]', 'the first look at the paid invoices');
  await page.click('#draw-sample button[type=submit]');
  await page.waitForSelector('#sample[data-sample="S-01"] #draw-requested');
  assert.equal(page.url(), `${base}/#control/S-01`);
  const asked = await apiGet(`/v1/programmes/${C}/samples/S-01`);
  assert.equal(asked.status, 'requested');
  assert.equal(asked.seed, null);
  assert.equal(asked.request.position, await headNow(), 'the request is the last event: the seed does not exist yet');
  assert.ok(await page.isDisabled('#draw-requested'));
  assert.match(await page.textContent('#sample-seed'), /not known yet/);
  assert.match(await page.textContent('#sample-request'), /web-controller.*the first look at the paid invoices/);
  // A second request for the same population: the event after the first
  // one, whose hash is its seed; each shows the other.
  assert.equal((await apiPost(`/v1/programmes/${C}/samples`, { id: 'S-02', population: 'invoices_paid', method: 'monetary_unit', size: 1 }, 'controller')).status, 201);
  await page.reload();
  await page.waitForSelector('#draw-requested:not([disabled])');
  assert.equal(await page.getAttribute('#sample-requests', 'data-count'), '2');
  assert.match(await page.textContent('#sample-requests'), /2 requests for invoices paid in this programme/);
  assert.equal(await page.getAttribute('#sample-requests li[data-request="S-02"]', 'data-same-listing'), 'true');
  await page.click('#draw-requested');
  await page.waitForSelector('#sample[data-sample="S-01"] #sample-items tbody tr');
  const s = await apiGet(`/v1/programmes/${C}/samples/S-01`);
  assert.equal(s.status, 'drawn');
  assert.equal(s.recorded_by, 'web-controller');
  assert.equal(await page.textContent('#sample-seed'), s.seed);
  const after = (await apiGet(`/v1/events?from=${s.request.position + 1}&limit=1`)).events[0];
  assert.equal(s.seed, after.hash, 'the seed is the hash of the event after the request');
  assert.equal(s.seed_position, after.position);
  assert.deepEqual(s.population_requests.requests.map((r) => r.id), ['S-01', 'S-02']);
  assert.equal(await page.textContent('#samples-table tr[data-sample="S-01"] .status'), 'drawn 2 requests');
  assert.match(await page.textContent('#sample-population'), /^2 invoices paid, in total EUR 1,800\.00/);
  assert.equal(await page.textContent('#sample-population-sha256'), s.population_sha256);
  assert.match(await page.textContent('#sample-interval'), /^EUR 900\.00 = EUR 1,800\.00 \/ 2/);
  const items = await page.$$eval('#sample-items tbody tr', (trs) => trs.map((t) => ({ id: t.dataset.item, hits: Number(t.dataset.hits), amount_cents: Number(t.dataset.amount) })));
  assert.deepEqual(items, s.items.map((u) => ({ id: u.id, hits: u.hits, amount_cents: u.amount_cents })));
  assert.equal(items.reduce((a, u) => a + u.hits, 0), 2, 'one hit per point');
  assert.ok(items.some((u) => u.id === 'wc-inv-1'), 'an invoice larger than the interval is always selected');
  assert.match(await page.textContent('#sample-items tr[data-item="wc-inv-1"] .verified'), /not verified/);
  await shot(page, 'control-sample');
  // Sessions have no amounts: simple random only. (Focused first, as a person
  // picking would: the view is not drawn again for the live feed under a form
  // in use.)
  await page.focus('#draw-sample [name=population]');
  await page.selectOption('#draw-sample [name=population]', 'sessions');
  assert.equal(await page.inputValue('#draw-sample [name=method]'), 'simple_random');

  // The invoice, its documents beside the verification form.
  await page.click('#sample-items tr[data-item="wc-inv-1"] a.verify-link');
  await page.waitForSelector('#verify-invoice');
  assert.ok(await page.isVisible('#evidence #invoice-evidence'));
  assert.match(await page.textContent('#invoice-gaps'), /invoice \(invoice\)/);
  assert.equal(await page.inputValue('#verify-invoice [name=certified]'), '1200.00');
  assert.equal(await page.inputValue('#verify-invoice [name=sample_id]'), 'S-01');
  // A deduction names its error type: refused without one.
  await page.fill('#verify-invoice [name=deducted]', '100');
  assert.equal(await page.inputValue('#verify-invoice [name=certified]'), '1100.00', 'certified follows the deduction');
  await page.click('#verify-invoice button[type=submit]');
  await page.waitForSelector('#verify-invoice .error');
  assert.match(await page.textContent('#verify-invoice .error'), /error_type_required/);
  // Certified and deducted that do not make the net invoiced are refused.
  await page.selectOption('#verify-invoice [name=error_type]', 'ineligible_cost');
  await page.fill('#verify-invoice [name=certified]', '1150');
  await page.click('#verify-invoice button[type=submit]');
  await page.waitForFunction(() => /verification_mismatch/.test(document.querySelector('#verify-invoice .error')?.textContent));
  assert.equal(await headNow(), head + 3);  // the two requests and the draw, nothing more
  await page.fill('#verify-invoice [name=certified]', '1100');
  await page.fill('#verify-invoice [name=note]', 'One session outside the eligibility period.');
  await page.click('#verify-invoice button[type=submit]');
  await page.waitForSelector('#verification-state[data-state="verified"]');
  const inv = await apiGet('/v1/invoices/wc-inv-1');
  assert.deepEqual([inv.verification.certified_cents, inv.verification.deducted_cents, inv.verification.error_type, inv.verification.sample_id],
    [110000, 10000, 'ineligible_cost', 'S-01']);
  assert.equal(inv.verification.recorded_by ?? inv.verification.verified_by, 'web-controller');
  assert.match(await page.textContent('#verification-state'), /certified EUR 1,100\.00, deducted EUR 100\.00 \(ineligible cost\) by web-controller/);
  await shot(page, 'invoice-verification');
  // Back in the sample, the item is verified.
  await page.goto(`${base}/#control/S-01`);
  await page.waitForSelector('#sample-items tr[data-item="wc-inv-1"] .verified .ok');
  await page.close();
});

test('control: four eyes, whoever recorded an invoice or its payment may not verify it; the refusal is shown', async () => {
  await controlProgramme();
  // demo-finance recorded wc-inv-2 and its payment; the same person with a controller's token.
  const me = await (await fetch(base + '/v1/me', { headers: { Authorization: 'Bearer ' + tokens.financeAsController } })).json();
  assert.deepEqual([me.name, me.role], ['demo-finance', 'controller']);
  const page = await controlPage('financeAsController', 'invoice/wc-inv-2');
  await page.waitForSelector('#verify-invoice');
  const head = await headNow();
  await page.click('#verify-invoice button[type=submit]');
  await page.waitForSelector('#verify-invoice .error.four-eyes');
  const text = await page.textContent('#verify-invoice .error.four-eyes');
  assert.match(text, /^Refused by the four-eyes rule \(four_eyes\)/);
  assert.match(text, /'demo-finance' recorded invoice wc-inv-2/);
  assert.equal(await page.getAttribute('#verify-invoice .error.four-eyes', 'role'), 'alert');
  assert.equal(await headNow(), head);
  assert.equal((await apiGet('/v1/invoices/wc-inv-2')).verification, null);
  await shot(page, 'four-eyes');
  await page.close();
});

test('control: a finding recorded from the invoice, corrected by finance staff (not by its recorder), in the budget with explain', async () => {
  await controlProgramme();
  const inv = await apiGet('/v1/invoices/wc-inv-1');
  if (!inv.verification) await must('/v1/invoices/wc-inv-1/verification', { certified_cents: 110000, deducted_cents: 10000, error_type: 'ineligible_cost' }, 'controller');
  const verified = (await apiGet('/v1/invoices/wc-inv-1')).verification;
  const page = await controlPage('controller', 'invoice/wc-inv-1');
  await page.click('#finding-from-invoice');
  await page.waitForSelector('#record-finding');
  assert.equal(await page.inputValue('#record-finding [name=invoice_id]'), 'wc-inv-1');
  assert.equal(await page.inputValue('#record-finding [name=positions]'), `${inv.position}, ${verified.position}`);
  const fid = await page.inputValue('#record-finding [name=id]');
  assert.equal(fid, `${C}-f01`);
  await page.selectOption('#record-finding [name=source]', 'audit_authority');
  await page.selectOption('#record-finding [name=error_type]', 'double_funding');
  await page.fill('#record-finding [name=amount]', '200');
  await page.fill('#record-finding [name=description]', 'The same workshop was funded by the regional programme.');
  await page.click('#record-finding button[type=submit]');
  await page.waitForSelector(`#findings-table tr[data-finding="${fid}"]`);
  const f = (await apiGet(`/v1/programmes/${C}/findings`)).findings.find((x) => x.id === fid);
  assert.deepEqual([f.source, f.invoice_id, f.positions, f.error_type, f.amount_cents, f.recorded_by],
    ['audit_authority', 'wc-inv-1', [inv.position, verified.position], 'double_funding', 20000, 'web-controller']);
  assert.equal(await page.$(`tr[data-finding="${fid}"] form.correct`), null, 'a controller does not apply corrections');
  await page.close();

  // The controller's own finance token: refused by the four-eyes rule.
  const head = await headNow();
  const own = await controlPage('controllerAsFinance', 'control');
  const form = `form.correct[data-finding="${fid}"]`;
  await own.click(`tr[data-finding="${fid}"] details summary`);
  await own.fill(`${form} [name=reason]`, 'Recovered from the next payment.');
  await own.click(`${form} button[type=submit]`);
  await own.waitForSelector(`${form} .error.four-eyes`);
  assert.match(await own.textContent(`${form} .error.four-eyes`), /'web-controller' recorded finding/);
  assert.equal(await headNow(), head);
  await own.close();

  // Finance staff apply it.
  const fin = await controlPage('finance', 'control');
  await fin.click(`tr[data-finding="${fid}"] details summary`);
  assert.equal(await fin.inputValue(`${form} [name=amount]`), '200.00');
  await fin.fill(`${form} [name=amount]`, '150');
  await fin.fill(`${form} [name=reason]`, 'Recovered from the next payment.');
  await fin.click(`${form} button[type=submit]`);
  await fin.waitForFunction((id) => document.querySelector(`#findings-table tr[data-finding="${id}"]`)?.dataset.corrected === '15000', fid);
  assert.equal(await fin.textContent(`tr[data-finding="${fid}"] .corrected`), 'EUR 150.00');
  assert.match(await fin.textContent(`tr[data-finding="${fid}"] li[data-correction="${fid}-c1"]`), /^EUR 150\.00: Recovered from the next payment\./);
  assert.match(await fin.textContent('#findings-total'), /EUR 200\.00 found, EUR 150\.00 corrected/);
  assert.equal((await apiGet('/v1/invoices/wc-inv-1')).corrected_cents, 15000);
  await shot(fin, 'findings');

  // The budget: verified, certified after the correction, deducted, corrected, the EU share of certified.
  await fin.goto(`${base}/#budget`);
  await fin.waitForSelector('#total-certified');
  const b = await apiGet(`/v1/programmes/${C}/budget?explain=1`);
  const t = b.totals;
  assert.deepEqual([t.verified_cents, t.deducted_cents, t.corrected_cents, t.certified_cents], [120000, 10000, 15000, 95000]);
  for (const [sel, cents] of [['#total-verified', t.verified_cents], ['#total-certified', t.certified_cents], ['#total-deducted', t.deducted_cents],
    ['#total-corrected', t.corrected_cents], ['#certified-eu-share', t.certified_eu_share_cents]])
    assert.equal(await fin.textContent(sel), euro(cents), sel);
  let x = await explainOf(fin, '#total-certified button');
  assert.equal(x.sum, t.certified_cents);
  assert.deepEqual(x.rows.map((r) => r.position), sortNum(t.explain.certified_cents.map((e) => e.position)));
  assert.ok(x.rows.some((r) => r.type === 'FinancialCorrectionApplied' && r.amount === -15000), JSON.stringify(x.rows));
  await closeExplain(fin);
  x = await explainOf(fin, '#total-corrected button');
  assert.equal(x.sum, 15000);
  await closeExplain(fin);
  assert.equal(await fin.textContent('tr[data-control-mentee="wc-m1"] td:nth-child(3)'), euro(95000));
  await fin.locator('#budget-control').screenshot({ path: join(SHOTS, 'budget-control.png') });
  await fin.close();
});

// Whether the server takes documents yet (POST /v1/evidence): 401 without a token if it does.
const uploads = async () => (await fetch(base + '/v1/evidence', { method: 'POST' })).status !== 404;

test('evidence: a document uploaded and attached from the invoice page, then opened; the pair page attaches to a session', async (t) => {
  await controlProgramme();
  if (!(await uploads())) return t.skip('POST /v1/evidence is not served by this build');
  const page = await controlPage('finance', 'invoice/wc-inv-2');
  await page.waitForSelector('#attach-invoice-evidence');
  const gapsBefore = (await apiGet(`/v1/programmes/${C}/audit/evidence-gaps`)).gaps.filter((g) => g.entity_id === 'wc-inv-2');
  assert.deepEqual(gapsBefore.map((g) => g.kind).sort(), ['invoice', 'proof_of_payment']);
  // Bytes that are not what the type says: refused, nothing attached.
  const head = await headNow();
  await page.setInputFiles('#attach-invoice-evidence input[type=file]', { name: 'not-a.pdf', mimeType: 'application/pdf', buffer: Buffer.from('plain words') });
  await page.click('#attach-invoice-evidence button[type=submit]');
  await page.waitForSelector('#attach-invoice-evidence .error');
  assert.match(await page.textContent('#attach-invoice-evidence .error'), /content_mismatch/);
  assert.equal(await headNow(), head);
  // A PDF with a name that is not ASCII.
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  const sha = createHash('sha256').update(pdf).digest('hex');
  const name = 'facture-WC-INV-2-Sfax-été.pdf';
  await page.setInputFiles('#attach-invoice-evidence input[type=file]', { name, mimeType: 'application/pdf', buffer: pdf });
  await page.selectOption('#attach-invoice-evidence [name=kind]', 'invoice');
  await page.click('#attach-invoice-evidence button[type=submit]');
  await page.waitForSelector(`#invoice-evidence li[data-sha256="${sha}"]`);
  const inv = await apiGet('/v1/invoices/wc-inv-2');
  assert.deepEqual(inv.evidence.map((d) => [d.sha256, d.kind, d.filename, d.content_type, d.size]), [[sha, 'invoice', name, 'application/pdf', pdf.length]]);
  assert.equal(await page.textContent(`#invoice-evidence li[data-sha256="${sha}"] a.doc`), name);
  // The gap for the invoice is closed; proof of payment is still missing.
  assert.doesNotMatch(await page.textContent('#invoice-gaps'), /invoice \(invoice\)/);
  assert.match(await page.textContent('#invoice-gaps'), /proof of payment \(payment\)/);
  await shot(page, 'invoice-evidence');
  // Opened: fetched with the token, saved as a download with its name and its bytes.
  const [dl, res] = await Promise.all([page.waitForEvent('download'), page.waitForResponse((r) => r.url().endsWith(`/v1/evidence/${sha}`)),
    page.click(`#invoice-evidence li[data-sha256="${sha}"] a.doc`)]);
  assert.equal(res.status(), 200);
  assert.equal((await res.request().allHeaders()).authorization, 'Bearer ' + tokens.finance);
  assert.match(res.headers()['content-disposition'], /^attachment/);
  assert.equal(res.headers()['x-content-type-options'], 'nosniff');
  assert.equal(dl.suggestedFilename(), name);
  assert.deepEqual(readFileSync(await dl.path()), pdf);
  await page.close();

  // The coordinator attaches an attendance sheet to a session from the pair page.
  const pp = await controlPage('coordinator', 'pair/wc-p1');
  await pp.waitForSelector('#attach-pair-evidence');
  assert.ok(await pp.$('#sessions tr[data-session="wc-s1"] .gap'), 'the session lacks its attendance sheet');
  const sheet = Buffer.from('Attendance, 2 participants: Greta Kontrolle, Karim Haddad.\n');
  await pp.setInputFiles('#attach-pair-evidence input[type=file]', { name: 'attendance-wc-s1.txt', mimeType: 'text/plain', buffer: sheet });
  await pp.selectOption('#attach-pair-evidence [name=target]', 'session:wc-s1');
  await pp.selectOption('#attach-pair-evidence [name=kind]', 'attendance');
  await pp.click('#attach-pair-evidence button[type=submit]');
  await pp.waitForSelector('#pair-evidence li[data-session="wc-s1"][data-kind="attendance"]');
  assert.equal(await pp.$('#sessions tr[data-session="wc-s1"] .gap'), null);
  assert.ok(await pp.$('#sessions tr[data-session="wc-s2"] .gap'));
  const pr = await apiGet('/v1/pairs/wc-p1');
  assert.ok(pr.evidence.some((d) => d.session_id === 'wc-s1' && d.kind === 'attendance' && d.filename === 'attendance-wc-s1.txt'));
  await shot(pp, 'pair-evidence');
  await pp.close();
});

test('audit: the auditor sees the evidence gaps and the late entries; pairs and budget flag the gaps; the rules show the retention', async () => {
  const page = await controlPage('auditor', 'audit');
  await page.waitForSelector('#gaps-table');
  const gaps = await apiGet(`/v1/programmes/${C}/audit/evidence-gaps`);
  assert.ok(gaps.count > 0);
  // The view may show an earlier answer first (under AddressSanitizer it once
  // showed 3 gaps of 5): wait for the one that agrees with the API.
  await waitFor(async () => (await page.textContent('#gaps-count')) === String(gaps.count));
  assert.equal(await page.textContent('#gaps-count'), String(gaps.count));
  assert.deepEqual(await page.$$eval('#gaps-table tbody tr', (trs) => trs.map((t) => [t.dataset.entity, t.dataset.id, t.dataset.kind, t.dataset.session || ''])),
    gaps.gaps.map((g) => [g.entity, g.entity_id, g.kind, g.session_id || '']));
  // Late entries, 30 days: the session of 45 days ago, the payment dated before its invoice, the invoice before the first session.
  const late30 = await apiGet(`/v1/programmes/${C}/audit/late-entries?days=30`);
  const rowsOf = () => page.$$eval('#late-table tbody tr', (trs) => trs.map((t) => [t.dataset.type, t.dataset.id, Number(t.dataset.position)]));
  assert.deepEqual(await rowsOf(), late30.entries.map((e) => [e.type, e.entity_id, e.position]));
  const types = late30.entries.map((e) => `${e.type} ${e.entity_id}`);
  for (const want of ['session_late wc-s1', 'payment_before_invoice wc-inv-2', 'invoice_before_first_session wc-inv-3']) assert.ok(types.includes(want), want);
  assert.match(await page.textContent('#late-table tr[data-type="session_late"][data-id="wc-s1"]'), /45/);
  await page.locator('#audit-control').screenshot({ path: join(SHOTS, 'audit-control.png') });
  // 60 days: the session is no longer late.
  await page.fill('#late-form [name=days]', '60');
  await page.click('#late-form button[type=submit]');
  await page.waitForSelector('#late-table[data-days="60"]');
  const late60 = await apiGet(`/v1/programmes/${C}/audit/late-entries?days=60`);
  assert.deepEqual(await rowsOf(), late60.entries.map((e) => [e.type, e.entity_id, e.position]));
  assert.equal(await page.$('#late-table tr[data-type="session_late"]'), null);
  // The pairs and the budget flag the gaps.
  await page.goto(`${base}/#pairs`);
  await page.waitForSelector('#pairs-table tr[data-pair="wc-p1"] .gap');
  assert.equal(Number(await page.getAttribute('#pairs-table tr[data-pair="wc-p1"] .gap', 'data-gaps')), gaps.gaps.filter((g) => g.pair_id === 'wc-p1').length);
  await page.goto(`${base}/#budget`);
  await page.waitForSelector('#budget-gaps .gap');
  assert.equal(Number(await page.getAttribute('#budget-gaps .gap', 'data-gaps')), gaps.count);
  assert.ok(await page.$('#budget-mentees tr[data-mentee="wc-m1"] .gap'));
  // The retention: 31 December of the year of the last payment, plus seven years.
  const prog = await apiGet(`/v1/programmes/${C}`);
  assert.equal(prog.retain_until, `${Number(day(-10).slice(0, 4)) + 7}-12-31`);
  await page.goto(`${base}/#rules`);
  await page.waitForSelector('#retain-until');
  assert.equal(await page.textContent('#retain-until'), prog.retain_until);
  // An auditor reads the control but does not write it.
  await page.goto(`${base}/#control`);
  await page.waitForSelector('#findings-table');
  assert.equal(await page.$('#draw-sample'), null);
  assert.equal(await page.$('#record-finding'), null);
  await page.close();
});
