import { postgresChangesFilter, type RealtimePostgresChangesFilterOperator } from '@supabase/realtime-js';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connect } from '../support/fixture';
import { closeClients, Inbox, realtimeClient, subscribed } from '../../src/testing/realtime';

// Property: for random rows and random filters (1–3 AND-ed conditions, any
// operator, negated or not), the rows a subscriber receives are exactly the
// rows the same predicate selects when Postgres runs it as plain SQL.
// Values sit where JavaScript would get them wrong: integers beyond 2^53,
// microseconds, LIKE/regex metacharacters, commas and quotes, NULLs; filter
// values also come in other spellings of the same value (01, yes, upper-case
// uuids, other time zones), which equality must still match.

const sql = connect(2);
const schema = `rt_prop_${process.pid}`;
const RUNS = Number(process.env.FILTER_PROPERTY_RUNS ?? 25);

beforeAll(async () => {
  await sql.unsafe(`
    create schema ${schema};
    grant usage on schema ${schema} to anon;
    create type ${schema}.mood as enum ('happy', 'sad', 'ok');
    create table ${schema}.p (id int primary key, i int, b bigint, t text, ts timestamptz, flag boolean,
                              u uuid, d date, m ${schema}.mood);
    grant select on ${schema}.p to anon;
    alter publication supabase_realtime add table ${schema}.p;`);
});
afterAll(async () => {
  await closeClients();
  await sql.unsafe(`alter publication supabase_realtime drop table ${schema}.p; drop schema ${schema} cascade;`);
  await sql.end();
});

const DOMAIN = {
  i: ['-3', '-1', '0', '1', '2', '3'],
  b: ['-1', '0', '9007199254740991', '9007199254740992', '9007199254740993'],
  t: ['a', 'A', 'ab', 'b,c', 'x"y', '%', '_', 'a%b', 'a b', ' ', 'é', 'back\\slash', 'paren(s)'],
  ts: [
    '2023-12-31 23:59:59.999999+00',
    '2024-01-01 00:00:00+00',
    '2024-01-01 00:00:00.000001+00',
    '2024-01-01 01:00:00.000001+01',
  ],
  flag: ['true', 'false'],
  u: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '00000000-0000-0000-0000-000000000000'],
  d: ['2024-01-01', '2024-02-29', 'infinity'],
  m: ['happy', 'sad', 'ok'],
} as const;
/** Other spellings Postgres reads as the same values, for filter values only. */
const SPELLINGS: Record<keyof typeof DOMAIN, string[]> = {
  i: ['01', '+2', ' 3', '-0'],
  b: ['09007199254740993', '+9007199254740992'],
  t: [],
  ts: ['2024-01-01T01:00:00+01:00', '2023-12-31 19:00:00.000001-05'],
  flag: ['yes', 'on', '1', 'f', 'OFF'],
  u: ['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'a0eebc999c0b4ef8bb6d6bb9bd380a11'],
  d: ['2024-1-1', 'Feb 29 2024'],
  m: [],
};
type Column = keyof typeof DOMAIN;
const COLUMNS = Object.keys(DOMAIN) as Column[];
const PATTERNS = ['a%', '%a%', '_', 'A%', '%\\%%', 'a_b'];
const REGEXES = ['^a', 'b$', '.', '^[a-z]+$', 'x"'];

type Row = Record<Column, string | null>;
type Condition = { column: Column; op: RealtimePostgresChangesFilterOperator; value: string | string[]; not: boolean };

const rowArb: fc.Arbitrary<Row> = fc.record(
  Object.fromEntries(COLUMNS.map((c) => [c, fc.option(fc.constantFrom(...DOMAIN[c]), { freq: 4 })])) as Record<
    Column,
    fc.Arbitrary<string | null>
  >,
);

const conditionArb: fc.Arbitrary<Condition> = fc.constantFrom(...COLUMNS).chain((column) => {
  const value = fc.constantFrom(...DOMAIN[column], ...SPELLINGS[column]);
  const ops: fc.Arbitrary<Omit<Condition, 'column' | 'not'>>[] = [
    fc.record({ op: fc.constantFrom('eq', 'neq', 'isdistinct'), value }),
    fc.record({
      op: fc.constant('in'),
      // '' and NULL have no unquoted spelling in an array literal; the client does not quote them.
      value: fc.uniqueArray(value, { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ op: fc.constant('is'), value: fc.constant('null') }),
  ];
  if (column !== 'flag') ops.push(fc.record({ op: fc.constantFrom('lt', 'lte', 'gt', 'gte'), value }));
  if (column === 't') {
    ops.push(fc.record({ op: fc.constantFrom('like', 'ilike'), value: fc.constantFrom(...PATTERNS) }));
    ops.push(fc.record({ op: fc.constantFrom('match', 'imatch'), value: fc.constantFrom(...REGEXES) }));
  }
  if (column === 'flag')
    ops.push(fc.record({ op: fc.constant('is'), value: fc.constantFrom('true', 'false', 'unknown') }));
  return fc.tuple(fc.oneof(...ops), fc.boolean()).map(([c, not]) => ({ column, ...c, not }) as Condition);
});

const filterArb = fc.array(conditionArb, { minLength: 1, maxLength: 3 });

/** The filter as supabase-js' builder writes it. */
function filterString(conditions: Condition[]): string {
  const builder = postgresChangesFilter();
  for (const c of conditions) {
    const value =
      c.op === 'is' ? (c.value === 'null' ? null : c.value === 'unknown' ? 'unknown' : c.value === 'true') : c.value;
    if (c.not)
      (builder.not as (column: string, op: string, v: unknown) => unknown).call(builder, c.column, c.op, value);
    else if (c.op === 'isdistinct') builder.isDistinct(c.column, value as string);
    else (builder[c.op] as (column: string, v: unknown) => unknown).call(builder, c.column, value);
  }
  return builder.build();
}

const literal = (v: string) => `'${v.replace(/'/g, "''")}'`;
const SQL_OPS: Record<string, string> = {
  eq: '=',
  neq: '<>',
  lt: '<',
  lte: '<=',
  gt: '>',
  gte: '>=',
  like: 'like',
  ilike: 'ilike',
  match: '~',
  imatch: '~*',
};

/** The same predicate, written as ordinary SQL on the table (NULL never matches). */
function sqlPredicate(conditions: Condition[]): string {
  return conditions
    .map((c) => {
      let expr: string;
      if (c.op === 'in') expr = `${c.column} in (${(c.value as string[]).map(literal).join(', ')})`;
      else if (c.op === 'is') expr = `${c.column} is ${c.value}`;
      else if (c.op === 'isdistinct') expr = `${c.column} is distinct from ${literal(c.value as string)}`;
      else expr = `${c.column} ${SQL_OPS[c.op]} ${literal(c.value as string)}`;
      return `coalesce(${c.not ? `not (${expr})` : `(${expr})`}, false)`;
    })
    .join(' and ');
}

let nextId = 1;

test('delivered rows equal the rows the same predicate selects in SQL', { timeout: 180_000 }, async () => {
  const client = await realtimeClient();
  await fc.assert(
    fc.asyncProperty(
      // Distinct filters: supabase-js ignores a second identical binding on a channel.
      fc.uniqueArray(filterArb, { minLength: 1, maxLength: 4, selector: filterString }),
      fc.array(rowArb, { minLength: 1, maxLength: 8 }),
      async (filters, rows) => {
        const inboxes = filters.map(() => new Inbox<{ new: { id: number } }>());
        const all = new Inbox<unknown>();
        const system = new Inbox<{ extension: string; status: string; message: string }>();
        const strings = filters.map(filterString);
        let channel = client.channel(`prop-${nextId}`).on('system', {}, (m) => system.push(m as never));
        strings.forEach((filter, k) => {
          channel = channel.on('postgres_changes', { event: 'INSERT', schema, table: 'p', filter }, (p) =>
            inboxes[k].push(p as never),
          );
        });
        channel = channel.on('postgres_changes', { event: 'INSERT', schema, table: 'p' }, (p) => all.push(p));
        await subscribed(channel);
        const status = await system.next((m) => m.extension === 'postgres_changes');
        expect(status, strings.join(' | ')).toMatchObject({ status: 'ok' });

        const ids = rows.map(() => nextId++);
        for (const [k, row] of rows.entries()) {
          await sql.unsafe(
            `insert into ${schema}.p select * from json_populate_record(null::${schema}.p, $1::text::json)`,
            [JSON.stringify({ id: ids[k], ...row })],
          );
        }
        await all.count(rows.length);
        for (const [k, conditions] of filters.entries()) {
          const expected = await sql.unsafe<{ id: number }[]>(
            `select id from ${schema}.p where id = any($1::int[]) and ${sqlPredicate(conditions)} order by id`,
            [ids],
          );
          const got = inboxes[k].items.map((c) => c.new.id).sort((a, b) => a - b);
          expect(got, `filter ${strings[k]}`).toEqual(expected.map((r) => r.id));
        }
        await client.removeChannel(channel);
      },
    ),
    { numRuns: RUNS },
  );
});
