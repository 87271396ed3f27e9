// The contract test of docs/openapi.json: a real `ledger serve` with the
// demonstration data, asked for every kind of answer the API gives (the
// reads, every command once, and every error status), each answer's JSON
// checked against the schema the document gives for that path, method and
// status.
//   LEDGER_BIN   the ledger command-line program (build/app/ledger)
//   OPENAPI      the document to check (docs/openapi.json)
// Run: node --test contract.test.mjs (after install.sh; CTest does both).
//
// How an answer is checked:
// - The document must have the route's path template (as /v1/pairs/{pair})
//   and method; the status is looked up in its responses, else `default`.
//   A request whose route is missing from the document fails the test.
// - `$ref`s are followed into components/responses; the schema found there
//   is compiled by Ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses, with
//   ajv-formats for date, date-time) with the whole document loaded, so
//   `#/components/schemas/...` references resolve as they are written.
// - The document leaves answers open to new fields (docs/API.md: fields may
//   be added). This test closes them: an answer holding a field that the
//   document does not name fails, so the document cannot fall behind.
// - The bodies this test sends are checked against the request schemas too:
//   the good ones must pass and the bad ones must fail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { demoData, serve, stop } from '../js/ledger_server.mjs';

const BIN = process.env.LEDGER_BIN;
const OPENAPI = process.env.OPENAPI;
assert.ok(BIN, 'LEDGER_BIN must name the ledger program');
assert.ok(OPENAPI, 'OPENAPI must name the OpenAPI document');

const DOC_ID = 'openapi.json';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let dir, server, base, tokens;
const doc = JSON.parse(readFileSync(OPENAPI, 'utf8'));
const called = new Set(); // "METHOD template" of every route the test called

// ---- the document, for Ajv

// A JSON pointer's segment: ~ and / escaped.
const esc = (s) => String(s).replaceAll('~', '~0').replaceAll('/', '~1');

// Follows a local `$ref` (#/...) inside the document.
function deref(node) {
  const seen = new Set();
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    assert.ok(node.$ref.startsWith('#/'), `only local references are followed: ${node.$ref}`);
    assert.ok(!seen.has(node.$ref), `a reference loop at ${node.$ref}`);
    seen.add(node.$ref);
    let target = doc;
    for (const part of node.$ref.slice(2).split('/')) {
      target = target?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
    }
    assert.ok(target !== undefined, `${node.$ref} names nothing in the document`);
    node = target;
  }
  return node;
}

// A copy of the document whose object schemas refuse properties they do not
// name (unevaluatedProperties: false), unless they say what else they take.
// The members of an allOf, anyOf or oneOf and the schemas of if, then, else
// and not are left open at their top (their whole closes them); a component
// used as such a member is given an open twin to point at.
function closedCopy(d) {
  const copy = structuredClone(d);
  const schemas = copy.components?.schemas ?? {};
  const openTwin = (ref) => {
    const name = ref.slice('#/components/schemas/'.length);
    const twin = `${name}__open`;
    if (!schemas[twin]) {
      schemas[twin] = structuredClone(d.components.schemas[name]);
      close(schemas[twin], false);
    }
    return `#/components/schemas/${twin}`;
  };
  const closeable = (s) =>
    s.properties && typeof s.properties === 'object' &&
    !('additionalProperties' in s) && !('unevaluatedProperties' in s) && !('patternProperties' in s) &&
    (s.type === undefined || s.type === 'object' || (Array.isArray(s.type) && s.type.includes('object')));
  function close(s, top) {
    if (!s || typeof s !== 'object' || Array.isArray(s)) return;
    if (top && closeable(s)) s.unevaluatedProperties = false;
    for (const v of Object.values(s.properties ?? {})) close(v, true);
    for (const v of Object.values(s.$defs ?? {})) close(v, true);
    for (const v of s.prefixItems ?? []) close(v, true);
    for (const k of ['items', 'contains', 'additionalProperties']) close(s[k], true);
    for (const k of ['allOf', 'anyOf', 'oneOf']) {
      for (const [i, m] of (s[k] ?? []).entries()) {
        if (typeof m.$ref === 'string' && m.$ref.startsWith('#/components/schemas/')) s[k][i] = { ...m, $ref: openTwin(m.$ref) };
        else close(m, false);
      }
    }
    for (const k of ['if', 'then', 'else', 'not']) close(s[k], false);
  }
  for (const name of Object.keys(d.components?.schemas ?? {})) close(schemas[name], true);
  // The schemas of answers, bodies and parameters outside components/schemas.
  const walk = (node) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    for (const [k, v] of Object.entries(node)) {
      if (k === 'schema' && v && typeof v === 'object') close(v, true);
      else walk(v);
    }
  };
  walk(copy.paths);
  for (const [k, v] of Object.entries(copy.components ?? {})) if (k !== 'schemas') walk(v);
  return copy;
}

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false });
addFormats(ajv);
// OpenAPI's own keywords: allowed in schemas, and what holds the schemas.
ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs',
  'openapi', 'info', 'jsonSchemaDialect', 'servers', 'security', 'tags', 'paths', 'webhooks', 'components']);
ajv.addSchema({ ...closedCopy(doc), $id: DOC_ID });

const compiled = new Map();
// A validator for the schema at `pointer` (a JSON pointer into the document).
function validatorAt(pointer) {
  if (!compiled.has(pointer)) compiled.set(pointer, ajv.compile({ $ref: `${DOC_ID}#${pointer}` }));
  return compiled.get(pointer);
}

// The JSON pointer of a schema reached from `node` at `pointer`, following
// $refs that point at whole objects (responses, schemas) to where they lead.
function schemaPointer(pointer, node) {
  while (node && node.$ref && !node.$ref.includes('/schemas/') && Object.keys(node).length === 1) {
    pointer = node.$ref.slice(1);
    node = deref({ $ref: node.$ref });
  }
  return { pointer, node };
}

function explain(validate) {
  return (validate.errors ?? []).slice(0, 8)
    .map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`)
    .join('\n  ');
}

// The document's operation for a route: fails when it has none.
function operation(method, template) {
  const item = doc.paths?.[template];
  assert.ok(item, `the document has no path ${template}`);
  const op = item[method.toLowerCase()];
  assert.ok(op, `the document has no ${method} ${template}`);
  return op;
}

// The response object (with its JSON pointer) the document gives for a
// status of a route: responses[status], else responses.default.
function documentedResponse(method, template, status) {
  const op = operation(method, template);
  const key = op.responses?.[String(status)] ? String(status) : 'default';
  const found = op.responses?.[key];
  assert.ok(found, `the document gives no ${status} (nor default) for ${method} ${template}`);
  return schemaPointer(`/paths/${esc(template)}/${method.toLowerCase()}/responses/${key}`, found);
}

// Checks an answer against a response object of the document: its JSON
// body against the schema, and the headers it says are always sent.
function checkAgainst(res, response, what) {
  const { pointer, node } = response;
  const content = node.content?.['application/json'];
  assert.ok(content?.schema, `${what}: the document gives no application/json schema`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${what}: the answer is not JSON`);
  const validate = validatorAt(`${pointer}/content/application~1json/schema`);
  assert.ok(validate(res.body), `${what}: the answer does not match the document:\n  ${explain(validate)}\n` +
    `answer: ${JSON.stringify(res.body).slice(0, 600)}`);
  for (const [name, header] of Object.entries(node.headers ?? {})) {
    if (deref(header).required) assert.ok(res.headers.has(name), `${what}: the ${name} header is missing`);
  }
}

// Checks an answer to a route against what the document says of it.
function check(res, expectedStatus) {
  const what = `${res.method} ${res.url} (${res.template}) answered ${res.status}`;
  assert.equal(res.status, expectedStatus, `${what}, not ${expectedStatus}: ${JSON.stringify(res.body).slice(0, 300)}`);
  checkAgainst(res, documentedResponse(res.method, res.template, res.status), what);
  return res.body;
}

// Checks a request body against the request schema of a route.
function bodyMatches(method, template, body) {
  const op = operation(method, template);
  const { pointer } = schemaPointer(`/paths/${esc(template)}/${method.toLowerCase()}/requestBody`, op.requestBody);
  assert.ok(deref({ $ref: '#' + pointer }).content?.['application/json']?.schema,
    `the document gives no request body for ${method} ${template}`);
  const validate = validatorAt(`${pointer}/content/application~1json/schema`);
  return { ok: validate(body), why: explain(validate) };
}

// ---- the server

before(async () => {
  let data;
  ({ dir, data, tokens } = demoData(BIN, 'ledger-contract-'));
  ({ server, base } = await serve(BIN, data));
});

after(async () => {
  await stop(server, dir);
});

// Calls a route: `template` as the document writes it, `params` filling its
// {names}. Options: role (a demo token; null: none), token (any text),
// query, body (JSON, or a string sent as is), headers.
async function call(method, template, params = {}, { role = 'auditor', token, query, body, headers = {} } = {}) {
  let path = template.replace(/\{(\w+)\}/g, (_, name) => {
    assert.ok(name in params, `no value for {${name}} in ${template}`);
    return encodeURIComponent(params[name]);
  });
  if (query) path += '?' + new URLSearchParams(query);
  const h = { ...headers };
  const bearer = token ?? (role ? tokens[role] : undefined);
  if (bearer !== undefined) h.Authorization = 'Bearer ' + bearer;
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    h['Content-Type'] = 'application/json';
  }
  const res = await fetch(base + path, { method, headers: h, body: payload });
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  called.add(`${method} ${template}`);
  return { method, template, url: path, status: res.status, headers: res.headers, body: parsed };
}
const get = (template, params, opts) => call('GET', template, params, opts);
const post = (template, params, body, opts = {}) => call('POST', template, params, { role: 'coordinator', ...opts, body });

// ---- reads

test('the document is OpenAPI 3.1 with the layout the project writes', () => {
  assert.equal(doc.openapi, '3.1.0');
  assert.equal(doc.info?.title, 'Programme Ledger API');
  assert.deepEqual(doc.security, [{ bearer: [] }]);
  assert.equal(doc.components?.securitySchemes?.bearer?.scheme, 'bearer');
  // No OpenAPI 3.0 leftovers: 3.1 writes type: [..., "null"].
  assert.ok(!JSON.stringify(doc).includes('"nullable"'), 'the document uses nullable, which OpenAPI 3.1 dropped');
});

test('health and who the caller is', async () => {
  check(await get('/healthz', {}, { role: null }), 200);
  for (const role of ['coordinator', 'finance', 'auditor', 'mentor']) {
    const me = check(await get('/v1/me', {}, { role }), 200);
    assert.equal(me.role, role);
  }
});

test('programmes, mentees, applications and their figures', async () => {
  const list = check(await get('/v1/programmes'), 200);
  assert.ok(list.programmes.length >= 2);
  for (const p of list.programmes) {
    check(await get('/v1/programmes/{pid}', { pid: p.id }), 200);
    check(await get('/v1/programmes/{pid}/joint-meetings', { pid: p.id }), 200);
    check(await get('/v1/programmes/{pid}/tours', { pid: p.id }), 200);
    check(await get('/v1/programmes/{pid}/budget', { pid: p.id }), 200);
    check(await get('/v1/programmes/{pid}/budget', { pid: p.id }, { query: { explain: '1' } }), 200);
    for (const by of ['mentee', 'mentor', 'pair', 'month', 'topic', 'mode', 'format']) {
      const h = check(await get('/v1/programmes/{pid}/hours', { pid: p.id }, { query: { group_by: by } }), 200);
      assert.equal(h.group_by, by);
    }
    check(await get('/v1/programmes/{pid}/hours', { pid: p.id }), 200);

    const mentees = check(await get('/v1/programmes/{pid}/mentees', { pid: p.id }), 200).mentees;
    assert.ok(mentees.length > 0);
    for (const m of mentees.slice(0, 3)) {
      check(await get('/v1/mentees/{mid}', { mid: m.id }), 200);
      check(await get('/v1/mentees/{mid}/caps', { mid: m.id }), 200);
    }

    const apps = check(await get('/v1/programmes/{pid}/applications', { pid: p.id }), 200).applications;
    for (const status of ['submitted', 'accepted', 'rejected']) {
      const some = check(await get('/v1/programmes/{pid}/applications', { pid: p.id }, { query: { status } }), 200);
      assert.ok(some.applications.every((a) => a.status === status));
    }
    // One of each status, and one not eligible if there is one.
    const picks = new Map();
    for (const a of apps) {
      if (!picks.has(a.status)) picks.set(a.status, a);
      if (!a.eligible && !picks.has('not eligible')) picks.set('not eligible', a);
    }
    for (const a of picks.values()) check(await get('/v1/applications/{aid}', { aid: a.id }), 200);
  }
});

test('pairs, their sessions and invoices, now and as of earlier', async () => {
  const pid = 'tnst-2019';
  const pairs = check(await get('/v1/programmes/{pid}/pairs', { pid }), 200).pairs;
  for (const status of ['assigned', 'active', 'completed', 'terminated']) {
    const some = check(await get('/v1/programmes/{pid}/pairs', { pid }, { query: { status } }), 200);
    assert.ok(some.pairs.every((p) => p.status === status));
  }
  const first = pairs[0];
  check(await get('/v1/programmes/{pid}/pairs', { pid },
    { query: { mentor_id: first.mentor_id, mentee_id: first.mentee_id, country: first.country } }), 200);

  // Every pair in detail, with every invoice they name.
  const invoices = [];
  for (const p of pairs) {
    const detail = check(await get('/v1/pairs/{pair}', { pair: p.id }), 200);
    invoices.push(...detail.invoices.map((i) => i.id));
  }
  assert.ok(invoices.length > 0);
  for (const iid of invoices) check(await get('/v1/invoices/{iid}', { iid }), 200);

  // As of a recording time, and as of a position.
  check(await get('/v1/programmes/{pid}/pairs', { pid }, { query: { as_of: '2019-06-30T23:59:59+02:00' } }), 200);
  check(await get('/v1/pairs/{pair}', { pair: 'tnst-2019-p07' }, { query: { at: '150' } }), 200);
  check(await get('/v1/programmes/{pid}', { pid }, { query: { at: '100' } }), 200);
  check(await get('/v1/mentees/{mid}/caps', { mid: first.mentee_id }, { query: { as_of: '2019-09-01T00:00:00Z' } }), 200);

  // What a mentor sees: its own pairs, budget lines and hours.
  const own = check(await get('/v1/programmes/{pid}/pairs', { pid: 'reloaded-2021' }, { role: 'mentor' }), 200).pairs;
  assert.ok(own.length > 0);
  check(await get('/v1/pairs/{pair}', { pair: own[0].id }, { role: 'mentor' }), 200);
  check(await get('/v1/programmes/{pid}/budget', { pid: 'reloaded-2021' }, { role: 'mentor' }), 200);
  check(await get('/v1/programmes/{pid}/hours', { pid: 'reloaded-2021' }, { role: 'mentor', query: { group_by: 'pair' } }), 200);
  // Its hours explained: its own sessions only; a month's sessions are every mentor's.
  const mine = check(await get('/v1/programmes/{pid}/hours', { pid: 'reloaded-2021' },
    { role: 'mentor', query: { group_by: 'pair', explain: '1' } }), 200);
  const ownIds = new Set(own.map((p) => p.id));
  assert.ok(mine.groups.length > 0);
  for (const g of mine.groups) {
    assert.ok(ownIds.has(g.key));
    assert.ok(g.explain.every((e) => e.pair_id === g.key));
    assert.equal(g.explain.reduce((a, e) => a + e.minutes, 0), g.minutes);
  }
  check(await get('/v1/programmes/{pid}/hours', { pid: 'reloaded-2021' },
    { role: 'mentor', query: { group_by: 'month', explain: '1' } }), 403);
});

test('the budget as a workbook: the media type and the file the document names', async () => {
  const template = '/v1/programmes/{pid}/budget.xlsx';
  const type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  const { node } = documentedResponse('GET', template, 200);
  assert.ok(node.content?.[type]?.schema, `the document gives no ${type} answer for ${template}`);
  const schema = deref(node.content[type].schema);
  assert.equal(schema.type, 'string');
  assert.equal(schema.format, 'binary');
  for (const role of ['coordinator', 'finance', 'auditor']) {
    const path = template.replace('{pid}', 'tnst-2019');
    const res = await fetch(base + path + '?as_of=2019-12-31T23:59:59Z', { headers: { Authorization: 'Bearer ' + tokens[role] } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), type);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="tnst-2019-budget.xlsx"');
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.deepEqual([...bytes.slice(0, 4)], [0x50, 0x4b, 0x03, 0x04], 'not a zip (Office Open XML)');
    called.add(`GET ${template}`);
  }
  // Errors are JSON, as the document says.
  check(await get(template, { pid: 'tnst-2019' }, { role: 'mentor' }), 403);
  check(await get(template, { pid: 'no-such-programme' }), 404);
});

test('the log, a stream, the head and a verify', async () => {
  // Every event of the demonstration, in pages.
  let from = 1;
  let seen = 0;
  for (;;) {
    const page = check(await get('/v1/events', {}, { query: { from: String(from), limit: '1000' } }), 200);
    seen += page.events.length;
    if (page.next === null) break;
    from = page.next;
  }
  assert.ok(seen > 500);
  check(await get('/v1/events', {}, { query: { type: 'InvoiceCancelled' } }), 200);
  check(await get('/v1/events', {}, { query: { stream: 'pair-tnst-2019-p07', limit: '5' } }), 200);
  check(await get('/v1/events', {}, { role: 'mentor', query: { limit: '50' } }), 200);
  check(await get('/v1/streams/{stream}', { stream: 'pair-tnst-2019-p07' }), 200);
  check(await get('/v1/streams/{stream}', { stream: 'programme-tnst-2019' }), 200);
  check(await get('/v1/audit/head'), 200);
  const report = check(await get('/v1/audit/verify'), 200);
  assert.equal(report.ok, true);
});

// ---- a write, and every error status

const session = (id, date, minutes) => ({
  id, date, minutes, mode: 'remote', format: 'bilateral', topics: ['governance'], summary: 'Reviewed the action plan.',
});

test('a write answers 201 with the events it recorded', async () => {
  const pairs = check(await get('/v1/programmes/{pid}/pairs', { pid: 'reloaded-2021' }, { query: { status: 'active' } }), 200).pairs;
  const pair = pairs.find((p) => p.minutes_left >= 60);
  assert.ok(pair, 'an active pair with an hour left');
  const body = session('contract-1', pair.start_date, 30);
  assert.ok(bodyMatches('POST', '/v1/pairs/{pair}/sessions', body).ok);
  const key = { 'Idempotency-Key': 'contract-1' };
  const outcome = check(await post('/v1/pairs/{pair}/sessions', { pair: pair.id }, body, { headers: key }), 201);
  assert.equal(outcome.events[0].type, 'SessionLogged');
  // The same key and body again: the first answer, nothing written.
  const again = await post('/v1/pairs/{pair}/sessions', { pair: pair.id }, body, { headers: key });
  assert.deepEqual(check(again, 201), outcome);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');

  // Void it: the pair's detail then shows a voided session.
  const voidBody = { reason: 'logged twice' };
  assert.ok(bodyMatches('POST', '/v1/pairs/{pair}/sessions/{sid}/void', voidBody).ok);
  const detailBefore = check(await get('/v1/pairs/{pair}', { pair: pair.id }), 200);
  check(await post('/v1/pairs/{pair}/sessions/{sid}/void', { pair: pair.id, sid: 'contract-1' }, voidBody,
    { headers: { 'If-Match': `"${detailBefore.stream_version}"` } }), 201);
  const detail = check(await get('/v1/pairs/{pair}', { pair: pair.id }), 200);
  assert.ok(detail.sessions.some((s) => s.id === 'contract-1' && s.voided));
});

test('every command once, on a programme of its own, and what it left', async () => {
  // Each body must match the document's request schema and be taken (201):
  // the schemas may not refuse what the server takes.
  const start = check(await get('/v1/audit/head'), 200).position + 1;
  const run = async (template, params, body, role = 'coordinator') => {
    const method = 'POST';
    const { ok, why } = bodyMatches(method, template, body ?? {});
    assert.ok(ok, `${template}: the document refuses the body ${JSON.stringify(body)}:\n  ${why}`);
    return check(await call(method, template, params, { role, body }), 201);
  };
  const pid = 'contract-2024';
  const rules = {
    hour_cap_minutes: 1920, fee_cap_cents: 310000, min_months: 6, max_months: 12,
    application_deadline: '2024-01-31T23:59:59+01:00', cofunding_bp: 9000, mentee_countries: ['MA', 'TN'],
    mentor_countries: [], knowledge_areas: ['strategy', 'governance'], expert_min_years: 5, max_tours_per_mentee: 2,
  };
  await run('/v1/programmes', {}, { id: pid, name: 'Contract test programme', coordinator: 'Test Clusters', ...rules });
  await run('/v1/programmes/{pid}/rules', { pid }, { ...rules, max_tours_per_mentee: 3, vat_eligible: false, reason: 'one more tour' });
  const mentee = (id, extra = {}) => ({
    id, name: 'Amal Test', cluster_name: `Cluster ${id}`, sectors: 'Textiles', country: 'MA', ...extra,
  });
  await run('/v1/programmes/{pid}/mentees', { pid }, mentee('contract-m1', { website: 'https://example.org' }));
  await run('/v1/programmes/{pid}/mentees', { pid }, mentee('contract-m2'));
  await run('/v1/programmes/{pid}/mentees', { pid }, mentee('contract-m3', { website: null }));
  await run('/v1/mentees/{mid}/withdraw', { mid: 'contract-m3' }, { date: '2024-02-15', reason: 'left the programme' });
  const application = (id) => ({
    id, applicant_name: 'Jean Test', organisation: 'Test organisation', email: `${id}@example.org`, country: 'FR',
    profile: 'cluster_manager', years_experience: 8, knowledge_areas: ['strategy'], quotation_cents: 300000,
    received_at: '2024-01-10T10:00:00+01:00',
  });
  await run('/v1/programmes/{pid}/applications', { pid }, application('contract-a1'));
  await run('/v1/programmes/{pid}/applications', { pid }, application('contract-a2'));
  await run('/v1/applications/{aid}/accept', { aid: 'contract-a1' }, { mentor_id: 'contract-mentor-1' });
  await run('/v1/applications/{aid}/reject', { aid: 'contract-a2' }, { reason: 'no place left' });
  const pair = (id, mentee_id) => ({
    id, mentor_id: 'contract-mentor-1', mentee_id, start_date: '2024-02-01', end_date: '2024-10-31',
    agreed_fee_cents: 300000, topics: ['strategy'],
  });
  await run('/v1/mentees/{mid}/needs', { mid: 'contract-m1' }, { areas: ['strategy'], note: 'from the diagnosis' });
  await run('/v1/mentees/{mid}/needs', { mid: 'contract-m2' }, { areas: ['governance'] });
  await run('/v1/programmes/{pid}/pairs', { pid }, pair('contract-p1', 'contract-m1'));
  await run('/v1/programmes/{pid}/pairs', { pid },
    { ...pair('contract-p2', 'contract-m2'), override_reason: 'the only mentor free this term' });
  const p1 = { pair: 'contract-p1' };
  await run('/v1/pairs/{pair}/sessions', p1, session('s1', '2024-03-01', 120));
  await run('/v1/pairs/{pair}/sessions', p1, { ...session('s2', '2024-03-08', 90), mode: 'in_person', format: 'group' });
  await run('/v1/pairs/{pair}/sessions/{sid}/void', { ...p1, sid: 's2' }, { reason: 'logged on the wrong pair' });
  await run('/v1/pairs/{pair}/period', p1, { end_date: '2024-11-30', reason: 'a month more' });
  const invoice = (id, number, net_cents) => ({ id, number, issue_date: '2024-06-30', net_cents, vat_cents: net_cents / 5 });
  await run('/v1/pairs/{pair}/invoices', p1, invoice('contract-i1', 'CT-1', 150000), 'finance');
  await run('/v1/pairs/{pair}/invoices', p1, invoice('contract-i2', 'CT-2', 100000), 'finance');
  await run('/v1/invoices/{iid}/payments', { iid: 'contract-i1' }, { paid_date: '2024-07-15', amount_cents: 100000 }, 'finance');
  await run('/v1/invoices/{iid}/payments', { iid: 'contract-i1' },
    { paid_date: '2024-07-16', amount_cents: 0, vat_cents: 20000 }, 'finance');
  await run('/v1/invoices/{iid}/credit-notes', { iid: 'contract-i1' },
    { id: 'contract-cn1', amount_cents: 20000, vat_cents: 4000, reason: 'one session not held' }, 'finance');
  await run('/v1/invoices/{iid}/cancel', { iid: 'contract-i2' }, { reason: 'issued twice' }, 'finance');
  // A document stored (POST /v1/evidence: its body is the document), then attached to each kind of entity.
  const stored = await fetch(base + '/v1/evidence', {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + tokens.finance, 'Content-Type': 'text/plain; charset=utf-8', 'X-Filename': 'statement.txt' },
    body: 'Bank statement extract: EUR 1,000.00 paid to contract-mentor-1.\n',
  });
  assert.equal(stored.status, 201);
  const { sha256 } = await stored.json();
  await run('/v1/invoices/{iid}/evidence', { iid: 'contract-i1' }, { sha256, kind: 'proof_of_payment', note: 'the bank statement' }, 'finance');
  await run('/v1/pairs/{pair}/evidence', p1, { sha256, kind: 'other' });
  await run('/v1/pairs/{pair}/sessions/{sid}/evidence', { ...p1, sid: 's1' }, { sha256, kind: 'attendance' });
  await run('/v1/applications/{aid}/evidence', { aid: 'contract-a1' }, { sha256, kind: 'application' });
  await run('/v1/pairs/{pair}/report', p1,
    { language: 'en', topics: ['strategy'], progress: 'A strategy was written.', outcomes: 'The board adopted it.' });
  await run('/v1/pairs/{pair}/complete', p1, undefined);
  await run('/v1/pairs/{pair}/terminate', { pair: 'contract-p2' }, { reason: 'the mentee left' });
  await run('/v1/programmes/{pid}/joint-meetings', { pid },
    { date: '2024-05-01', title: 'Mid-term meeting', pair_ids: ['contract-p1', 'contract-p2'] });
  await run('/v1/programmes/{pid}/tours', { pid },
    { id: 'contract-t1', region: 'Catalonia', host: 'Test host', start_date: '2024-09-02', end_date: '2024-09-06' });
  await run('/v1/tours/{tid}/participants', { tid: 'contract-t1' }, { mentee_id: 'contract-m1' });
  await run('/v1/tours/{tid}/participants/cancel', { tid: 'contract-t1' }, { mentee_id: 'contract-m1', reason: 'ill' });
  await run('/v1/tours/{tid}/participants', { tid: 'contract-t1' },
    { kind: 'network_manager', participant_id: 'contract-nm1', name: 'Nadia Test', organisation: 'Test network', country: 'TN' });
  await run('/v1/tours/{tid}/participants/cancel', { tid: 'contract-t1' }, { participant_id: 'contract-nm1', reason: 'ill' });
  await run('/v1/tours/{tid}/participants', { tid: 'contract-t1' },
    { kind: 'cluster_representative', participant_id: 'contract-cr1', name: 'Omar Test', organisation: 'Cluster x', country: 'MA' });
  // The control of spending: a sample, a verification, a finding and its correction.
  // A sample is requested, a second request follows (its hash is the first
  // one's seed), and the first is drawn.
  await run('/v1/programmes/{pid}/samples', { pid },
    { id: 'contract-s1', population: 'invoices_paid', method: 'monetary_unit', size: 1, reason: 'the year\'s sample' }, 'controller');
  await run('/v1/programmes/{pid}/samples', { pid },
    { id: 'contract-s2', population: 'invoices_paid', method: 'simple_random', size: 1 }, 'controller');
  await run('/v1/programmes/{pid}/samples/{sid}/draw', { pid, sid: 'contract-s1' }, {}, 'controller');
  await run('/v1/invoices/{iid}/verification', { iid: 'contract-i1' },
    { certified_cents: 120000, deducted_cents: 10000, error_type: 'ineligible_cost', note: 'one day outside the period', sample_id: 'contract-s1' },
    'controller');
  await run('/v1/programmes/{pid}/findings', { pid },
    { id: 'contract-f1', source: 'audit_authority', invoice_id: 'contract-i1', positions: [start], error_type: 'calculation',
      amount_cents: 5000, description: 'a day counted twice' }, 'controller');
  await run('/v1/findings/{fid}/corrections', { fid: 'contract-f1' },
    { id: 'contract-c1', amount_cents: 5000, reason: 'as the audit authority found' }, 'finance');
  await run('/v1/programmes/{pid}/close', { pid }, { date: '2024-12-31' });
  await run('/v1/subjects/{subject}/erasure', { subject: 'mentee:contract-m3' },
    { basis: 'court_order', court_reference: 'TJ 24/001', reason: 'order of the court' }, 'dpo');

  // Every kind of event is now in the log: each is checked with its data.
  const page = check(await get('/v1/events', {}, { query: { from: String(start), limit: '1000' } }), 200);
  const types = new Set(page.events.map((e) => e.type));
  const documented = deref(doc.components.schemas.Event).properties.type.enum;
  assert.deepEqual([...types].sort(), [...documented].sort(), 'every event type the document names was written');

  // What the commands left, read back.
  check(await get('/v1/programmes/{pid}', { pid }), 200);
  check(await get('/v1/programmes/{pid}/mentees', { pid }), 200);
  assert.equal(check(await get('/v1/mentees/{mid}', { mid: 'contract-m3' }), 200).name, '[erased]');
  check(await get('/v1/programmes/{pid}/applications', { pid }), 200);
  const rejected = check(await get('/v1/applications/{aid}', { aid: 'contract-a2' }), 200);
  assert.equal(rejected.rejection_reason, 'no place left');
  for (const pair of ['contract-p1', 'contract-p2']) check(await get('/v1/pairs/{pair}', { pair }), 200);
  const explained = check(await get('/v1/pairs/{pair}', { pair: 'contract-p1' }, { query: { explain: '1' } }), 200);
  assert.equal(explained.explain.minutes_used.reduce((a, e) => a + e.minutes, 0), explained.minutes_used);
  assert.equal(explained.override_reason, '');
  const p2 = check(await get('/v1/pairs/{pair}', { pair: 'contract-p2' }), 200);
  assert.equal(p2.override_reason, 'the only mentor free this term');
  const suggested = check(await get('/v1/mentees/{mid}/mentor-suggestions', { mid: 'contract-m1' }), 200);
  assert.deepEqual(suggested.suggestions.map((x) => x.mentor_id), ['contract-mentor-1']);
  check(await get('/v1/programmes/{pid}/hours', { pid }, { query: { group_by: 'pair', explain: '1' } }), 200);
  const cancelled = check(await get('/v1/invoices/{iid}', { iid: 'contract-i2' }), 200);
  assert.equal(cancelled.cancelled, true);
  check(await get('/v1/invoices/{iid}', { iid: 'contract-i1' }), 200);
  check(await get('/v1/programmes/{pid}/budget', { pid }, { query: { explain: '1' } }), 200);
  const tours = check(await get('/v1/programmes/{pid}/tours', { pid }), 200);
  assert.deepEqual(tours.tours[0].people.map((x) => [x.kind, x.id]), [['cluster_representative', 'contract-cr1']]);
  const paid = check(await get('/v1/invoices/{iid}', { iid: 'contract-i1' }), 200);
  assert.equal(paid.vat_paid_cents, 20000);
  assert.equal(paid.vat_credited_cents, 4000);
  assert.equal(paid.vat_due_cents, 30000 - 20000 - 4000);
  check(await get('/v1/programmes/{pid}/joint-meetings', { pid }), 200);
  check(await get('/v1/streams/{stream}', { stream: 'pair-contract-p1' }), 200);
  const sample = check(await get('/v1/programmes/{pid}/samples/{sid}', { pid, sid: 'contract-s1' }), 200);
  assert.deepEqual(sample.items.map((x) => x.id), ['contract-i1']);
  assert.deepEqual(sample.population_requests.requests.map((x) => x.id), ['contract-s1', 'contract-s2']);
  const requested = check(await get('/v1/programmes/{pid}/samples/{sid}', { pid, sid: 'contract-s2' }), 200);
  assert.equal(requested.status, 'seeded');
  check(await get('/v1/programmes/{pid}/samples', { pid }), 200);
  const findings = check(await get('/v1/programmes/{pid}/findings', { pid }), 200);
  assert.equal(findings.corrected_cents, 5000);
  const verified = check(await get('/v1/invoices/{iid}', { iid: 'contract-i1' }), 200);
  assert.equal(verified.verification.certified_cents, 120000);
  assert.equal(verified.corrected_cents, 5000);
  const controlled = check(await get('/v1/programmes/{pid}/budget', { pid }), 200);
  assert.equal(controlled.totals.certified_cents, 120000 - 5000);
  check(await get('/v1/programmes/{pid}/audit/evidence-gaps', { pid }), 200);
  check(await get('/v1/programmes/{pid}/audit/late-entries', { pid }, { query: { days: '10' } }), 200);
  // A closed programme takes no more commands.
  check(await post('/v1/programmes/{pid}/mentees', { pid }, mentee('contract-m4')), 422);
});

test('400: a bad query and bad bodies', async () => {
  check(await get('/v1/programmes', {}, { query: { at: '0' } }), 400);
  check(await get('/v1/events', {}, { query: { limit: '0' } }), 400);
  check(await get('/v1/programmes/{pid}/hours', { pid: 'tnst-2019' }, { query: { group_by: 'week' } }), 400);
  const pair = 'reloaded-2021-p03';
  for (const bad of [
    { ...session('contract-bad', '2021-03-01', 30), minutes: 'thirty' }, // a wrong type
    { ...session('contract-bad', '2021-03-01', 30), mood: 'good' }, // an unknown field
    { ...session('contract-bad', '2021-02-30', 30) }, // an impossible date
    { ...session('contract-bad', '2021-03-01', 30), summary: 'x'.repeat(4001) }, // too long
    { ...session('contract-bad', '2021-03-01', 30), summary: 'a\u0001b' }, // a control character
    { ...session('contract-bad', '2021-03-01', 30), topics: ['governance', 'governance'] }, // a topic twice
    { ...session('contract-bad', '2021-03-01', 30), mode: 'by_phone' }, // not one of the modes
  ]) {
    assert.ok(!bodyMatches('POST', '/v1/pairs/{pair}/sessions', bad).ok, `the document accepts ${JSON.stringify(bad).slice(0, 120)}`);
    check(await post('/v1/pairs/{pair}/sessions', { pair }, bad), 400);
  }
  check(await post('/v1/pairs/{pair}/sessions', { pair }, '{"id": '), 400); // not JSON
});

test('401: no token, and a token the server does not know', async () => {
  for (const res of [await get('/v1/me', {}, { role: null }), await get('/v1/programmes', {}, { token: 'not-a-token' })]) {
    check(res, 401);
    assert.match(res.headers.get('www-authenticate'), /^Bearer/);
  }
});

test('403: a role that may not, and a mentor reading what is not its own', async () => {
  check(await post('/v1/pairs/{pair}/sessions', { pair: 'reloaded-2021-p03' }, session('contract-f', '2021-03-01', 30),
    { role: 'finance' }), 403);
  check(await get('/v1/pairs/{pair}', { pair: 'tnst-2019-p07' }, { role: 'mentor' }), 403);
  check(await get('/v1/audit/verify', {}, { role: 'finance' }), 403);
});

test('404: an unknown entity and an unknown path', async () => {
  check(await get('/v1/pairs/{pair}', { pair: 'no-such-pair' }), 404);
  check(await get('/v1/programmes/{pid}/budget', { pid: 'no-such-programme' }), 404);
  check(await get('/v1/streams/{stream}', { stream: 'pair-no-such-pair' }), 404);
  // A path that is no route has no operation in the document: its answer is
  // checked against the document's common 404 answer.
  const res = await fetch(base + '/v1/no-such-path', { headers: { Authorization: 'Bearer ' + tokens.auditor } });
  const answer = { headers: res.headers, status: res.status, body: await res.json() };
  assert.equal(answer.status, 404);
  assert.ok(!doc.paths['/v1/no-such-path']);
  checkAgainst(answer, schemaPointer('/components/responses/Error404', doc.components.responses.Error404),
    'GET /v1/no-such-path');
});

test('405: a method the path does not take', async () => {
  for (const template of ['/v1/programmes', '/v1/pairs/{pair}']) {
    const res = await call('DELETE', template, { pair: 'tnst-2019-p07' });
    assert.equal(res.status, 405);
    // The document has the path, not the method, and Allow names what it has.
    const item = doc.paths[template];
    assert.ok(item, `the document has no path ${template}`);
    const documented = METHODS.filter((m) => item[m]).map((m) => m.toUpperCase()).sort();
    assert.ok(!documented.includes('DELETE'));
    assert.deepEqual(res.headers.get('allow').split(', ').sort(), documented);
    const response = item.delete ? documentedResponse('DELETE', template, 405)
      : schemaPointer('/components/responses/Error405', doc.components.responses.Error405);
    checkAgainst(res, response, `DELETE ${template}`);
    called.delete(`DELETE ${template}`); // no such operation, by design
  }
});

test('409: an id used twice, and a stale If-Match', async () => {
  const pairs = check(await get('/v1/programmes/{pid}/pairs', { pid: 'reloaded-2021' }, { query: { status: 'active' } }), 200).pairs;
  const pair = pairs.find((p) => p.minutes_left >= 30);
  const body = session('contract-409', pair.start_date, 15);
  check(await post('/v1/pairs/{pair}/sessions', { pair: pair.id }, body), 201);
  const twice = check(await post('/v1/pairs/{pair}/sessions', { pair: pair.id }, body), 409);
  assert.equal(twice.error.code, 'conflict');
  const stale = check(await post('/v1/pairs/{pair}/sessions', { pair: pair.id }, session('contract-409b', pair.start_date, 15),
    { headers: { 'If-Match': '"1"' } }), 409);
  assert.equal(stale.error.code, 'version_conflict');
});

test('413: a body over 1 MiB', async () => {
  const huge = JSON.stringify({ language: 'en', topics: [], progress: 'x'.repeat(1100 * 1024), outcomes: '' });
  check(await post('/v1/pairs/{pair}/report', { pair: 'reloaded-2021-p03' }, huge), 413);
});

test('422: a session past the hour cap, a report not in English', async () => {
  const pairs = check(await get('/v1/programmes/{pid}/pairs', { pid: 'reloaded-2021' }, { query: { status: 'active' } }), 200).pairs;
  const pair = pairs[0];
  const over = check(await post('/v1/pairs/{pair}/sessions', { pair: pair.id },
    session('contract-422', pair.start_date, pair.minutes_left + 60)), 422);
  assert.equal(over.error.code, 'hour_cap_exceeded');
  const report = { language: 'fr', topics: ['governance'], progress: 'Bon.', outcomes: 'Bien.' };
  assert.ok(bodyMatches('POST', '/v1/pairs/{pair}/report', report).ok);
  const french = check(await post('/v1/pairs/{pair}/report', { pair: pair.id }, report), 422);
  assert.equal(french.error.code, 'report_language');
});

test('evidence documents: the upload, its refusals, the record and the download', async () => {
  // The body is the document, not JSON: sent by hand.
  const upload = async (body, type, filename, role = 'finance') => {
    const headers = { Authorization: 'Bearer ' + tokens[role] };
    if (type) headers['Content-Type'] = type;
    if (filename !== undefined) headers['X-Filename'] = filename;
    const res = await fetch(base + '/v1/evidence', { method: 'POST', headers, body });
    called.add('POST /v1/evidence');
    return { method: 'POST', template: '/v1/evidence', url: '/v1/evidence', status: res.status, headers: res.headers,
      body: JSON.parse(await res.text()) };
  };
  const pdf = '%PDF-1.4\n% the contract test\'s document\n';
  const stored = check(await upload(pdf, 'application/pdf', encodeURIComponent('contrat n°1.pdf')), 201);
  assert.equal(stored.filename, 'contrat n°1.pdf');
  assert.equal(stored.stored, true);
  // The same bytes under another name: refused, naming the one kept; under that name, taken once.
  assert.equal(check(await upload(pdf, 'application/pdf', 'again.pdf', 'coordinator'), 409).error.code, 'evidence_conflict');
  assert.equal(check(await upload(pdf, 'application/pdf', encodeURIComponent('contrat n°1.pdf'), 'coordinator'), 201).stored, false);
  assert.equal(check(await upload(pdf, 'text/html', 'a.html'), 415).error.code, 'unsupported_media_type');
  assert.equal(check(await upload(pdf, 'image/png', 'a.png'), 422).error.code, 'content_mismatch');
  assert.equal(check(await upload(pdf, 'application/pdf', undefined), 400).error.code, 'bad_request');
  assert.equal(check(await upload(pdf, 'application/pdf', 'a.pdf', 'auditor'), 403).error.code, 'forbidden');
  const big = new Uint8Array(20 * 1024 * 1024 + 1);
  big.set(new TextEncoder().encode('%PDF-'));
  assert.equal(check(await upload(big, 'application/pdf', 'big.pdf'), 413).error.code, 'payload_too_large');

  const meta = check(await get('/v1/evidence/{sha256}/meta', { sha256: stored.sha256 }), 200);
  assert.equal(meta.size, new TextEncoder().encode(pdf).length);
  assert.deepEqual(meta.attachments, []);
  // A document of the demonstration, attached to an invoice.
  const someone = check(await get('/v1/evidence/{sha256}/meta', { sha256: documentOfDemo() }), 200);
  assert.ok(someone.attachments.length > 0);

  const res = await fetch(`${base}/v1/evidence/${stored.sha256}`, { headers: { Authorization: 'Bearer ' + tokens.auditor } });
  called.add('GET /v1/evidence/{sha256}');
  assert.equal(res.status, 200);
  assert.equal(await res.text(), pdf);
  assert.equal(res.headers.get('content-type'), 'application/pdf');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('content-security-policy'), "sandbox; default-src 'none'");
  assert.match(res.headers.get('content-disposition'), /^attachment; filename="contrat n_1.pdf"; filename\*=UTF-8''contrat%20n%C2%B01.pdf$/);
  for (const name of ['Content-Disposition', 'X-Content-Type-Options', 'Content-Security-Policy'])
    assert.ok(deref(doc.paths['/v1/evidence/{sha256}'].get.responses['200'].headers[name]).required);
  check(await get('/v1/evidence/{sha256}', { sha256: '0'.repeat(64) }), 404);
  check(await get('/v1/evidence/{sha256}/meta', { sha256: stored.sha256 }, { role: 'mentor' }), 404);
});

// The hash of a document the demonstration attaches (the first one its data names).
function documentOfDemo() {
  const demo = JSON.parse(readFileSync(new URL('../../scripts/demo/demo.json', import.meta.url), 'utf8'));
  return demo.steps.find((s) => s.command === 'attach_invoice_evidence').body.sha256;
}

test('the document has an operation for every route this test called', () => {
  assert.ok(called.size > 0);
  for (const route of called) {
    const [method, template] = route.split(' ');
    assert.ok(doc.paths?.[template]?.[method.toLowerCase()], `the document has no ${route}`);
  }
});
