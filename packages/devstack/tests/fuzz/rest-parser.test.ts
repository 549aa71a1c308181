// Fuzzing the REST query parser: random select trees, filters, logic trees,
// order, limit/offset and Range/Prefer/Accept headers against the real tables,
// as anon and as a signed-in dispatcher, plus random JSON bodies for anon
// POST/PATCH. Every answer is a success or a PostgREST error
// ({code, message, details, hint}) with a 4xx; never a 5xx; and anon writes
// leave the shipments as they were (RLS).
import fc from 'fast-check';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningApi } from '../../src/api';
import { DEPOT, USER } from '../support/fixture';
import { userToken } from '../integration/rest-helpers';
import {
  describeFailure,
  fuzzRuns,
  fuzzSeed,
  httpRequest,
  keepAliveAgent,
  parseJson,
  sendableHeader,
  ServerErrorLog,
  startPrivateApi,
  type HttpResult,
} from './fuzz-support';

const RUNS = fuzzRuns();
const SEED = fuzzSeed(0x5eed_0002);
/** Requests in flight at once: enough to overlap database round trips, few enough for 2 cores. */
const CONCURRENCY = 6;
const HEALTH_EVERY = 1000;

let api: RunningApi;
let sql: Sql;
let userJwt: string;
const log = new ServerErrorLog();
const agent = keepAliveAgent(CONCURRENCY);

beforeAll(async () => {
  log.start();
  api = await startPrivateApi({ DEVSTACK_REST_STATEMENT_TIMEOUT_MS: '3000' });
  sql = postgres(inject('stack').dbUrl, { max: 2, onnotice: () => {} });
  userJwt = await userToken(api.keys, USER.dispatcherNorth, { email: 'dispatcher.north@example.com' });
});

afterAll(async () => {
  agent.destroy();
  await sql?.end({ timeout: 2 });
  await api?.close();
  log.stop();
});

/**
 * The seed depots' shipments (other files write only to depots of their own,
 * so these rows change only if a fuzz write got through) and any row a fuzz
 * body could have created (references start with FZ).
 */
async function shipmentsChecksum(): Promise<string> {
  const [row] = await sql<{ sum: string | null; fuzz: number }[]>`
    select
      (select md5(string_agg(s::text, '|' order by s.id)) from public.shipments s where s.depot_id in (${DEPOT.north}, ${DEPOT.south})) as sum,
      (select count(*)::int from public.shipments where reference like 'FZ%') as fuzz`;
  return `${row.sum ?? 'empty'}/${row.fuzz}`;
}

// ---------------------------------------------------------------------------
// Arbitraries

const TABLES = [
  'shipments',
  'depots',
  'profiles',
  'depot_members',
  'shipment_events',
  'depot_watermarks',
  'realtime_outbox',
];
const COLUMNS = [
  'id',
  'depot_id',
  'reference',
  'recipient',
  'address',
  'status',
  'driver_id',
  'eta',
  'last_lat',
  'last_lng',
  'version',
  'created_at',
  'updated_at',
  'name',
  'min_lat',
  'full_name',
  'role',
  'user_id',
  'seq',
  'changes',
  'record',
  'operation',
];
const RELATIONS = [
  'depots',
  'profiles',
  'depot_members',
  'shipments',
  'shipment_events',
  'driver:profiles',
  'depot:depots',
];
const junk = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom(
    '"',
    '\\',
    '(',
    ')',
    ',',
    '.',
    ':',
    '::',
    '->',
    '->>',
    '!',
    '*',
    '%',
    '%00',
    '%zz',
    "'",
    ';',
    '...',
    ' ',
  ),
);
const column = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...COLUMNS) },
  { weight: 1, arbitrary: junk },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }).map((s) => `"${s}"`) },
);
const cast = fc.constantFrom('::text', '::int', '::json', '::uuid', '::numeric(3,1)', '::', '::"text"', '::x y');
const jsonPath = fc
  .array(fc.oneof(fc.constantFrom('->', '->>'), fc.constant('->0')), { maxLength: 2 })
  .chain((ops) =>
    fc
      .tuple(
        ...ops.map((op) =>
          fc.tuple(fc.constant(op), fc.oneof(fc.constantFrom('a', '0', '-1', "'x'"), junk)).map(([o, k]) => `${o}${k}`),
        ),
      )
      .map((parts) => parts.join('')),
  );

const selectField: fc.Arbitrary<string> = fc.letrec<{ field: string; list: string }>((tie) => ({
  field: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          fc.option(
            junk.map((a) => `${a}:`),
            { nil: '' },
          ),
          column,
          fc.option(jsonPath, { nil: '' }),
          fc.option(cast, { nil: '' }),
        )
        .map((p) => p.join('')),
    },
    { weight: 1, arbitrary: fc.constantFrom('*', 'count()', 'id.count()', 'sum(version)', 'avg(last_lat)::int') },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom('', '...', 'alias:'),
          fc.oneof(fc.constantFrom(...RELATIONS), junk),
          fc.constantFrom('', '!inner', '!left', '!depot_id', '!shipments_driver_id_fkey', '!fk!inner', '!'),
          tie('list'),
        )
        .map(([prefix, rel, hint, list]) => `${prefix}${rel}${hint}(${list})`),
    },
    { weight: 1, arbitrary: junk },
  ),
  list: fc.array(tie('field'), { maxLength: 4 }).map((fields) => fields.join(',')),
})).field;
const select = fc.array(selectField, { minLength: 1, maxLength: 5 }).map((fields) => fields.join(','));

const OPERATORS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'like',
  'ilike',
  'match',
  'imatch',
  'in',
  'is',
  'isdistinct',
  'fts',
  'plfts',
  'phfts',
  'wfts',
  'cs',
  'cd',
  'ov',
  'sl',
  'sr',
  'nxr',
  'nxl',
  'adj',
  'zz',
];
const value = fc.oneof(
  fc.constantFrom(
    '1',
    '0',
    '-1',
    'null',
    'true',
    'unknown',
    'not_null',
    'pending',
    DEPOT.north,
    'a*b',
    '%',
    '{}',
    '{a,b}',
    '[1,2]',
    '(1,2)',
    '"a,b"',
    '"a\\"b"',
    '1e400',
    '99999999999999999999',
    'NaN',
    '2026-01-01',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);
const condition = fc
  .tuple(
    fc.constantFrom('', 'not.'),
    fc.constantFrom(...OPERATORS),
    fc.constantFrom('', '(any)', '(all)', '(english)', '(x'),
    fc.oneof(
      value,
      fc.array(value, { maxLength: 4 }).map((vs) => `(${vs.join(',')})`),
      fc.array(value, { maxLength: 3 }).map((vs) => `{${vs.join(',')}}`),
    ),
  )
  .map(([not, op, mod, v]) => `${not}${op}${mod}.${v}`);
const logicTree: fc.Arbitrary<string> = fc.letrec<{ tree: string; item: string }>((tie) => ({
  tree: fc.array(tie('item'), { maxLength: 4 }).map((items) => `(${items.join(',')})`),
  item: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: fc.tuple(column, condition).map(([c, cond]) => `${c}.${cond}`) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom('and', 'or', 'not.and', 'not.or'), tie('tree')).map(([op, t]) => `${op}${t}`),
    },
    { weight: 1, arbitrary: junk },
  ),
})).tree;
const order = fc
  .array(
    fc
      .tuple(column, fc.constantFrom('', '.asc', '.desc', '.nullsfirst', '.desc.nullslast', '.x', '.asc.desc.asc'))
      .map(([c, d]) => `${c}${d}`),
    { minLength: 1, maxLength: 3 },
  )
  .map((items) => items.join(','));
const count = fc.oneof(
  fc.integer({ min: -5, max: 2000 }).map(String),
  fc.constantFrom('1e3', '99999999999999999999', 'abc', '', '0x10', '1.5'),
);

const param: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 4, arbitrary: select.map((s): [string, string] => ['select', s]) },
  {
    weight: 4,
    arbitrary: fc.tuple(fc.oneof(column, fc.constantFrom('depots.name', 'profiles.role', 'x.y.z')), condition),
  },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('or', 'and', 'not.or', 'not.and', 'depots.or'), logicTree) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('order', 'depots.order', 'x.order'), order) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('limit', 'offset', 'depots.limit', 'profiles.offset'), count) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('columns', 'on_conflict', 'select'), fc.string({ maxLength: 16 })) },
  { weight: 1, arbitrary: fc.tuple(junk, junk) },
);

/** Percent-encodes any string (a lone surrogate becomes U+FFFD instead of throwing). */
const enc = (s: string): string => encodeURIComponent(s.toWellFormed());

/** The query string; sometimes left raw (unencoded) to reach the percent-decoder with bad escapes like %zz. */
const queryString = fc
  .tuple(fc.array(param, { maxLength: 5 }), fc.boolean(), fc.nat({ max: 19 }))
  .map(([params, encode, raw]) =>
    params
      .map(([k, v]) => (raw === 0 ? `${k}=${v}` : `${encode ? enc(k) : k.replace(/[^A-Za-z0-9_.-]/gu, enc)}=${enc(v)}`))
      .join('&')
      // Raw mode still escapes what is not a URL character at all (Node's HTTP parser, not the service, would refuse it).
      .replace(/[^\x21-\x7e]|#/gu, enc),
  );

const headers = fc.record(
  {
    range: fc.oneof(
      fc.constantFrom('0-9', '5-', '-5', '10-2', 'a-b', '0-99999999999999999999', ''),
      fc.string({ maxLength: 10 }),
    ),
    'range-unit': fc.constantFrom('items', 'bytes', ''),
    prefer: fc
      .array(
        fc.oneof(
          fc.constantFrom(
            'count=exact',
            'count=planned',
            'count=estimated',
            'count=bogus',
            'return=representation',
            'return=minimal',
            'return=headers-only',
            'resolution=merge-duplicates',
            'resolution=ignore-duplicates',
            'missing=default',
            'handling=strict',
            'handling=lenient',
            'tx=rollback',
            'max-affected=1',
            'timezone=Mars/Base',
          ),
          fc.string({ maxLength: 10 }),
        ),
        { maxLength: 3 },
      )
      .map((p) => p.join(', ')),
    // Mostly acceptable media types and the public profile, so most requests get past content negotiation to the parser.
    accept: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('application/json', '*/*', 'application/json; charset=utf-8') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'application/json',
          'application/vnd.pgrst.object+json',
          'application/vnd.pgrst.object',
          'text/csv',
          'application/geo+json',
          'application/vnd.pgrst.plan+json',
          'text/plain',
          '*/*',
          'application/json;q=0',
          '',
        ),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
    ),
    'accept-profile': fc.oneof(
      { weight: 9, arbitrary: fc.constant('public') },
      { weight: 1, arbitrary: fc.constantFrom('auth', 'nope') },
    ),
    'content-profile': fc.oneof(
      { weight: 9, arbitrary: fc.constant('public') },
      { weight: 1, arbitrary: fc.constant('auth') },
    ),
  },
  { requiredKeys: [] },
);

const shipmentBody = fc.record(
  {
    id: fc.oneof(fc.uuid(), value),
    depot_id: fc.oneof(fc.constantFrom(DEPOT.north, DEPOT.south), fc.uuid(), value),
    reference: fc.oneof(
      fc.string({ maxLength: 6 }).map((s) => `FZ-${s.toUpperCase().replace(/[^A-Z0-9-]/g, '')}1`),
      value,
    ),
    recipient: fc.oneof(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })),
    address: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
    status: fc.oneof(fc.constantFrom('pending', 'assigned', 'delivered', 'nope'), fc.jsonValue({ maxDepth: 1 })),
    driver_id: fc.oneof(fc.constant(USER.driverNorth1), fc.constant(null), value),
    last_lat: fc.oneof(fc.double(), fc.constantFrom(1e308, -91, 45)),
    last_lng: fc.double(),
    version: fc.oneof(fc.integer(), fc.constant(2 ** 40)),
    nope: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  { weight: 5, arbitrary: shipmentBody.map((b) => JSON.stringify(b)) },
  { weight: 2, arbitrary: fc.array(shipmentBody, { maxLength: 3 }).map((b) => JSON.stringify(b)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '{',
      '[{}, 1]',
      '{"a":1e400}',
      '['.repeat(3000) + ']'.repeat(3000),
      '\u0000',
      '{"reference": "\\ud800"}',
    ),
  },
);

type Caller = 'anon' | 'user';
interface Case {
  caller: Caller;
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH';
  table: string;
  query: string;
  headers: Record<string, string>;
  body?: string;
  contentType?: string;
}

const readCase = fc.record({
  caller: fc.constantFrom<Caller>('anon', 'user'),
  method: fc.constantFrom<'GET' | 'HEAD'>('GET', 'GET', 'GET', 'HEAD'),
  table: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...TABLES) }, { weight: 1, arbitrary: junk.map(enc) }),
  query: queryString,
  headers,
});
// Writes are made as anon only: the dispatcher could really change the seed rows other files read.
const writeCase = fc.record({
  caller: fc.constant<Caller>('anon'),
  method: fc.constantFrom<'POST' | 'PATCH'>('POST', 'PATCH'),
  table: fc.constantFrom('shipments', 'shipments', 'depots', 'depot_members', 'profiles', 'shipment_events'),
  query: queryString,
  headers,
  body,
  contentType: fc.constantFrom(
    'application/json',
    'application/json',
    'text/csv',
    'application/x-www-form-urlencoded',
    'text/plain',
    '',
  ),
});
const fuzzCase: fc.Arbitrary<Case> = fc.oneof({ weight: 3, arbitrary: readCase }, { weight: 1, arbitrary: writeCase });

// ---------------------------------------------------------------------------

function send(c: Case): Promise<HttpResult> {
  const token = c.caller === 'anon' ? api.keys.anonKey : userJwt;
  const h: Record<string, string> = { apikey: api.keys.anonKey, authorization: `Bearer ${token}` };
  for (const [k, v] of Object.entries(c.headers)) h[k] = sendableHeader(v);
  if (c.contentType !== undefined) h['content-type'] = c.contentType;
  return httpRequest(agent, api.url, `/rest/v1/${c.table}${c.query ? `?${c.query}` : ''}`, {
    method: c.method,
    headers: h,
    body: c.body,
  });
}

/** What is wrong with a response, or null. */
function problemOf(c: Case, res: HttpResult): string | null {
  if (res.status >= 500) return `status ${res.status}: ${res.text.slice(0, 500)}`;
  if (res.status < 200) return `status ${res.status}`;
  if (res.status >= 400) {
    if (c.method === 'HEAD') return res.text === '' ? null : 'HEAD error with a body';
    const parsed = parseJson(res.text);
    if (!parsed.ok) return `error body is not JSON: ${res.text.slice(0, 200)}`;
    const e = parsed.value as Record<string, unknown>;
    const detailsOk = e.details === null || typeof e.details === 'string' || Array.isArray(e.details);
    if (
      typeof e.code !== 'string' ||
      typeof e.message !== 'string' ||
      !detailsOk ||
      !(e.hint === null || typeof e.hint === 'string')
    ) {
      return `error body is not {code, message, details, hint}: ${res.text.slice(0, 300)}`;
    }
    if (Object.keys(e).sort().join() !== 'code,details,hint,message')
      return `error body has extra keys: ${res.text.slice(0, 300)}`;
    return null;
  }
  // A success from an anon write means RLS let it through (shipment_events / profiles / depots are not anon-writable).
  if (c.caller === 'anon' && (c.method === 'POST' || c.method === 'PATCH')) {
    const rows = parseJson(res.text);
    // (A 201 alone can be an empty batch; rows written without representation show in the checksum.)
    if (
      rows.ok &&
      ((Array.isArray(rows.value) && rows.value.length > 0) ||
        (rows.value !== null && typeof rows.value === 'object' && !Array.isArray(rows.value)))
    )
      return `anon write succeeded: ${res.status} ${res.text.slice(0, 300)}`;
  }
  const type = String(res.headers['content-type'] ?? '');
  if (c.method !== 'HEAD' && res.text !== '' && type.includes('json') && !parseJson(res.text).ok)
    return `success body is not JSON: ${res.text.slice(0, 200)}`;
  return null;
}

async function healthy(): Promise<void> {
  const res = await httpRequest(agent, api.url, '/rest/v1/depots?select=id&limit=1', {
    headers: { apikey: api.keys.anonKey, authorization: `Bearer ${userJwt}` },
  });
  expect(res.status, res.text).toBe(200);
}

describe(`REST parser under ${RUNS} fuzzed requests (seed ${SEED})`, () => {
  it(
    'answers every request with a success or a 4xx PostgREST error, never a 5xx, and anon writes change nothing',
    { timeout: 600_000 },
    async () => {
      const before = await shipmentsChecksum();
      const started = Date.now();
      // fast-check runs one case at a time; a run here is a batch of CONCURRENCY requests
      // sent together (cases = runs × CONCURRENCY), so database round trips overlap.
      const batches = Math.ceil(RUNS / CONCURRENCY);
      let cases = 0;
      const statuses = new Map<number, number>();
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(fuzzCase, { minLength: CONCURRENCY, maxLength: CONCURRENCY }), async (batch) => {
            const mark = log.lines.length;
            const results = await Promise.all(batch.map(send));
            for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
            const problems = batch.flatMap((c, i) => {
              const problem = problemOf(c, results[i]);
              return problem
                ? [
                    `${c.caller} ${c.method} /rest/v1/${c.table}?${c.query} headers=${JSON.stringify(c.headers)}${c.body !== undefined ? ` body=${c.body.slice(0, 300)}` : ''}\n  → ${problem}`,
                  ]
                : [];
            });
            if (problems.length > 0) throw new Error(problems.join('\n'));
            const logged = log.since(mark);
            if (logged.length > 0) throw new Error(`server logged an internal error:\n${logged.join('\n')}`);
            const previous = cases;
            cases += batch.length;
            if (Math.floor(cases / HEALTH_EVERY) > Math.floor(previous / HEALTH_EVERY)) await healthy();
          }),
          { numRuns: batches, seed: SEED },
        );
      } catch (err) {
        throw new Error(
          `REST fuzz failed (seed ${SEED}; replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}):\n${describeFailure(err)}`,
        );
      } finally {
        console.info(
          `[fuzz] rest: ${cases} requests in ${Date.now() - started} ms (seed ${SEED}); statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
        );
      }
      await healthy();
      expect(await shipmentsChecksum(), 'shipments changed by anon writes').toBe(before);
    },
  );
});
