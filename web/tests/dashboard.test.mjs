// Browser tests of the dashboard: a real `ledger serve` with the
// demonstration data, driven in Debian's headless Chromium by playwright-core.
//   LEDGER_BIN, LEDGER_WEB_DIR, SCREENSHOT_DIR, CHROMIUM (paths) come from CTest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

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
    coordinator: ['Pairs', 'Budget', 'Audit'],
    finance: ['Budget', 'Pairs', 'Audit'],
    auditor: ['Audit', 'Pairs', 'Budget'],
    mentor: ['Pairs'],
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
