// SQL injection through every REST parameter: select, every filter operator,
// or/and, order, limit/offset, on_conflict, columns, rpc name and arguments,
// and the Prefer / Range / profile headers. Each request is answered with a
// PostgREST 4xx or runs with the payload as a plain value; none is a 5xx, the
// seed data is unchanged and no table or function appears. Requests use the
// service role key: even the most powerful caller cannot reach SQL.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, DEPOT } from '../support/db';
import { call, stack } from './support';

const sql = connect(2);
const mark = `pwn_${randomUUID().slice(0, 8)}`;
// Each tries to end the statement and run its own; the marker names what it would create.
const PAYLOADS = [
  `x'); create table public.${mark} (id int); --`,
  `x"; create function public.${mark}() returns int language sql as 'select 1'; --`,
  `1) union select null, current_setting('request.jwt.claims') --`,
  `x$$; drop table public.shipments cascade; $$`,
];
const enc = encodeURIComponent;

type Outcome = '4xx' | 'literal';
type Case = {
  name: string;
  path: string;
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  expect: Outcome;
};

const OPERATORS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'like',
  'ilike',
  'isdistinct',
  'not.eq',
  'not.like',
  'plfts',
  'phfts',
  'wfts',
];
// Values Postgres parses itself (regular expression, tsquery): refused when they do not parse, else matched.
const PARSED_VALUE_OPERATORS = ['match', 'imatch', 'fts'];
const parses = (op: string, payload: string) => {
  if (op === 'fts') return false;
  try {
    return Boolean(new RegExp(payload));
  } catch {
    return false;
  }
};
const ARRAY_OPERATORS = ['in', 'cs', 'cd', 'ov'];
const RANGE_OPERATORS = ['sl', 'sr', 'nxl', 'nxr', 'adj'];

function cases(payload: string): Case[] {
  const t = '/rest/v1/shipments';
  const q = `"${payload.replaceAll('"', '\\"')}"`;
  return [
    // select: column names, casts, aliases, embeds, JSON paths and aggregates are identifiers, never SQL.
    { name: 'select=<payload>', path: `${t}?select=${enc(payload)}`, expect: '4xx' },
    { name: 'select=id,"<payload>"', path: `${t}?select=id,${enc(q)}`, expect: '4xx' },
    { name: 'select=id::<payload>', path: `${t}?select=${enc(`id::${payload}`)}`, expect: '4xx' },
    { name: 'select=<payload>:id (alias)', path: `${t}?select=${enc(`${q}:id`)}`, expect: 'literal' },
    { name: 'select=<payload>(*) (embed)', path: `${t}?select=id,${enc(`${q}(*)`)}`, expect: '4xx' },
    // A JSON path on a text column reads to_jsonb(column), as PostgREST 13: the key is a plain value.
    { name: "select=reference->>'<payload>'", path: `${t}?select=${enc(`reference->>${q}`)}`, expect: 'literal' },
    { name: 'select=id.count()<payload>', path: `${t}?select=${enc(`id.count()${payload}`)}`, expect: '4xx' },
    // Filters: the payload as value of every operator, and as the column.
    ...OPERATORS.map((op): Case => ({
      name: `reference=${op}.<payload>`,
      path: `${t}?select=id&reference=${op}.${enc(payload)}`,
      expect: 'literal',
    })),
    ...PARSED_VALUE_OPERATORS.map((op): Case => ({
      name: `reference=${op}.<payload>`,
      path: `${t}?select=id&reference=${op}.${enc(payload)}`,
      expect: parses(op, payload) ? 'literal' : '4xx',
    })),
    ...ARRAY_OPERATORS.map((op): Case => ({
      name: `reference=${op}.(<payload>)`,
      path: `${t}?select=id&reference=${op}.${enc(`(${q})`)}`,
      expect: op === 'in' ? 'literal' : '4xx',
    })),
    ...ARRAY_OPERATORS.map((op): Case => ({
      name: `reference=${op}.{<payload>}`,
      path: `${t}?select=id&reference=${op}.${enc(`{${q}}`)}`,
      expect: '4xx',
    })),
    ...RANGE_OPERATORS.map((op): Case => ({
      name: `reference=${op}.<payload>`,
      path: `${t}?select=id&reference=${op}.${enc(`[${payload}]`)}`,
      expect: '4xx',
    })),
    { name: 'reference=fts(<payload>).x', path: `${t}?select=id&reference=fts(${enc(payload)}).x`, expect: '4xx' },
    { name: 'reference=is.<payload>', path: `${t}?select=id&reference=is.${enc(payload)}`, expect: '4xx' },
    { name: '"<payload>"=eq.1 (column)', path: `${t}?select=id&${enc(q)}=eq.1`, expect: '4xx' },
    // As PostgREST 13, a JSON path on a text column reads to_jsonb(column): the key is a plain value.
    {
      name: 'reference-><payload>=eq.1 (json path)',
      path: `${t}?select=id&${enc(`reference->${q}`)}=eq.1`,
      expect: 'literal',
    },
    // Logic trees.
    {
      name: 'or=(reference.eq.<payload>,…)',
      path: `${t}?select=id&or=${enc(`(reference.eq.${q},id.is.null)`)}`,
      expect: 'literal',
    },
    { name: 'and=(<payload>.eq.1)', path: `${t}?select=id&and=${enc(`(${q}.eq.1)`)}`, expect: '4xx' },
    { name: 'or=(<payload>)', path: `${t}?select=id&or=${enc(`(${payload})`)}`, expect: '4xx' },
    {
      name: 'not.or=(and(reference.eq.<payload>))',
      path: `${t}?select=id&not.or=${enc(`(and(reference.eq.${q},id.is.null))`)}`,
      expect: 'literal',
    },
    // Ordering and paging.
    { name: 'order=<payload>', path: `${t}?select=id&order=${enc(q)}`, expect: '4xx' },
    { name: 'order=reference.<payload>', path: `${t}?select=id&order=reference.${enc(payload)}`, expect: '4xx' },
    {
      name: 'order=reference.asc.<payload>',
      path: `${t}?select=id&order=reference.asc.${enc(payload)}`,
      expect: '4xx',
    },
    { name: 'limit=<payload>', path: `${t}?select=id&limit=${enc(payload)}`, expect: '4xx' },
    { name: 'offset=<payload>', path: `${t}?select=id&offset=${enc(payload)}`, expect: '4xx' },
    { name: 'limit=1;<payload>', path: `${t}?select=id&limit=${enc(`1;${payload}`)}`, expect: '4xx' },
    // Writes: identifiers in on_conflict / columns, payload values in the body (refused by the reference check).
    {
      name: 'on_conflict=<payload>',
      path: `${t}?on_conflict=${enc(payload)}`,
      method: 'POST',
      body: { reference: 'INJ-1' },
      headers: { Prefer: 'resolution=merge-duplicates' },
      expect: '4xx',
    },
    {
      name: 'columns=<payload>',
      path: `${t}?columns=${enc(q)}`,
      method: 'POST',
      body: { reference: 'INJ-1' },
      expect: '4xx',
    },
    {
      name: 'columns=reference,<payload>',
      path: `${t}?columns=reference,${enc(payload)}`,
      method: 'POST',
      body: { reference: 'INJ-1' },
      expect: '4xx',
    },
    { name: 'body key <payload>', path: t, method: 'POST', body: { [payload]: 1 }, expect: '4xx' },
    {
      name: 'body value <payload>',
      path: t,
      method: 'POST',
      body: { depot_id: DEPOT.north, reference: payload, recipient: payload, address: payload },
      expect: '4xx',
    },
    {
      name: 'PATCH filter value <payload>',
      path: `${t}?reference=eq.${enc(payload)}`,
      method: 'PATCH',
      body: { recipient: payload },
      expect: 'literal',
    },
    {
      name: 'DELETE filter value <payload>',
      path: `${t}?reference=eq.${enc(payload)}`,
      method: 'DELETE',
      expect: 'literal',
    },
    // Functions: the name, argument values and argument names.
    { name: 'rpc/<payload>', path: `/rest/v1/rpc/${enc(payload)}`, method: 'POST', body: {}, expect: '4xx' },
    {
      name: 'rpc GET args <payload>',
      path: `/rest/v1/rpc/depot_id_of_topic?topic=${enc(payload)}&kind=${enc(payload)}`,
      expect: 'literal',
    },
    {
      name: 'rpc POST args <payload>',
      path: '/rest/v1/rpc/depot_id_of_topic',
      method: 'POST',
      body: { topic: payload, kind: payload },
      expect: 'literal',
    },
    {
      name: 'rpc argument name <payload>',
      path: '/rest/v1/rpc/depot_id_of_topic',
      method: 'POST',
      body: { topic: 'x', [payload]: 'y' },
      expect: '4xx',
    },
    // Headers.
    {
      name: 'Prefer: count=<payload>',
      path: `${t}?select=id&limit=1`,
      headers: { Prefer: `count=${payload}` },
      expect: 'literal',
    },
    // An unknown preference with handling=strict: 400 PGRST122, as PostgREST.
    {
      name: 'Prefer: handling=strict, <payload>',
      path: `${t}?select=id&limit=1`,
      headers: { Prefer: `handling=strict, ${payload}` },
      expect: '4xx',
    },
    {
      name: 'Prefer: tx=<payload>',
      path: `${t}?select=id&limit=1`,
      headers: { Prefer: `tx=${payload}` },
      expect: 'literal',
    },
    { name: 'Range: 0-<payload>', path: `${t}?select=id`, headers: { Range: `0-${payload}` }, expect: 'literal' },
    {
      name: 'Range-Unit: <payload>',
      path: `${t}?select=id`,
      headers: { 'Range-Unit': payload, Range: '0-1' },
      expect: 'literal',
    },
    {
      name: 'Accept-Profile: <payload>',
      path: `${t}?select=id`,
      headers: { 'Accept-Profile': payload },
      expect: '4xx',
    },
    {
      name: 'Content-Profile: <payload>',
      path: t,
      method: 'POST',
      body: { reference: 'INJ-1' },
      headers: { 'Content-Profile': payload },
      expect: '4xx',
    },
    {
      name: 'Accept: pgrst.object + <payload>',
      path: `${t}?select=id`,
      headers: { Accept: `application/vnd.pgrst.object+json; nulls=${payload}` },
      expect: '4xx',
    },
  ];
}

async function fingerprint() {
  const [row] = await sql<{ seed: string; relations: number; functions: number }[]>`
    select md5(concat_ws('|',
        (select string_agg(s::text, ',' order by s.id) from public.shipments s where s.depot_id in (${DEPOT.north}, ${DEPOT.south}) and s.reference ~ '^(NOR|SOU)-'),
        (select string_agg(d::text, ',' order by d.id) from public.depots d),
        (select string_agg(p::text, ',' order by p.id) from public.profiles p),
        (select string_agg(m::text, ',' order by m.depot_id, m.user_id) from public.depot_members m))) as seed,
      (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname not in ('public', 'pg_toast') and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%') as relations,
      (select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname <> 'public') as functions`;
  // Other files create throwaway tables in public; this file's payloads name theirs after the marker.
  const [{ marked }] = await sql<{ marked: number }[]>`
    select ((select count(*) from pg_class where relname like ${`${mark}%`}) + (select count(*) from pg_proc where proname like ${`${mark}%`}))::int as marked`;
  return { ...row, marked };
}

let before: Awaited<ReturnType<typeof fingerprint>>;
beforeAll(async () => {
  before = await fingerprint();
  expect(before.marked).toBe(0);
});
afterAll(async () => {
  await sql.end();
});

describe('SQL injection through every REST parameter', () => {
  it.each(PAYLOADS.map((p, i) => [i, p] as const))(
    'payload %i is refused with 4xx or used as a plain value: %s',
    async (_i, payload) => {
      const got: Record<string, string> = {};
      const want: Record<string, string> = {};
      for (const c of cases(payload)) {
        const token = stack().serviceRoleKey;
        const res = await call(c.path, {
          method: c.method,
          token,
          body: c.body,
          headers: { Prefer: 'return=representation', ...c.headers },
        });
        const code = (res.body as { code?: string } | null)?.code;
        // A plain value runs as a bound parameter: any 2xx, as long as nothing of the session leaks (a UNION would show the claims).
        const leaked = /service_role|supabase-demo/.test(JSON.stringify(res.body));
        got[c.name] =
          res.status >= 400 && res.status < 500 && typeof code === 'string'
            ? '4xx'
            : res.status < 300 && !leaked
              ? 'literal'
              : `${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
        want[c.name] = c.expect;
      }
      expect(got).toEqual(want);
    },
  );

  it('leaves the seed rows, the catalog and the gateway as they were', async () => {
    expect(await fingerprint()).toEqual(before);
    expect((await call('/rest/v1/shipments?select=id&limit=1', { token: stack().serviceRoleKey })).status).toBe(200);
  });
});
