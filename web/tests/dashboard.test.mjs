// Browser tests of the dashboard: a real `ledger serve` with the
// demonstration data, driven in Debian's headless Chromium by playwright-core.
//   LEDGER_BIN, LEDGER_WEB_DIR, SCREENSHOT_DIR, CHROMIUM (paths) come from CTest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import * as tlog from '../src/tlog.js';

const BIN = process.env.LEDGER_BIN;
const WEB = process.env.LEDGER_WEB_DIR;
const SHOTS = process.env.SCREENSHOT_DIR || join(tmpdir(), 'ledger-screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let dir, server, base, browser;
const tokens = {};

async function startServer() {
  server = spawn(BIN, ['serve', '--data', join(dir, 'data'), '--listen', '127.0.0.1:0', '--web', WEB], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  base = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/(127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(`http://${m[1]}`);
    });
    server.on('exit', (code) => reject(new Error('server exited ' + code)));
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-dashboard-'));
  mkdirSync(SHOTS, { recursive: true });
  execFileSync(BIN, ['demo', '--data', join(dir, 'data')], { stdio: 'ignore' });
  for (const line of readFileSync(join(dir, 'data', 'demo-tokens.txt'), 'utf8').trim().split('\n')) {
    const parts = line.split(' ');
    tokens[parts[0]] = parts[parts.length - 1];
  }
  await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) {
    // The server saves a checkpoint as it stops: wait for it before cleaning up.
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
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
    coordinator: ['Pairs', 'Mentees', 'Applications', 'Matching', 'Tours and meetings', 'Budget', 'Hours', 'Rules', 'Audit'],
    finance: ['Budget', 'Hours', 'Pairs', 'Mentees', 'Tours and meetings', 'Rules', 'Audit'],
    auditor: ['Audit', 'Pairs', 'Mentees', 'Budget', 'Hours', 'Tours and meetings', 'Rules'],
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
