import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { connect } from '../support/fixture';
import { Inbox, stack, subscribed } from '../../src/testing/realtime';
import { changeFrames, parseLossless, type LosslessJson } from './lossless-json';

// Every value in `record` / `old_record` is exactly what Postgres' to_jsonb
// gives for it (what REST returns for the same row), over every built-in type
// family and arrays of them (1-D, 2-D, NULL elements, custom bounds). Checked
// on the wire, digit for digit, against `select to_jsonb(t)` of the same row.

const sql = connect(2);
const schema = `rt_values_${process.pid}`;

/** Column type → sample values as SQL expressions (row k holds sample k of every column). */
const CASES: Array<[string, string[]]> = [
  ['int2', ['0', '-32768', '32767']],
  ['int4', ['-2147483648', '42']],
  ['int8', ['9007199254740993', '-9223372036854775808']],
  ['numeric', ['1.50', '-0.000001', '12345678901234567890.123456789', "'NaN'", "'Infinity'", "'-Infinity'"]],
  ['float4', ['1.5', "'NaN'", "'-Infinity'", '3.4e38', '1e-10']],
  ['float8', ['0.1', '1e100', "'-0'", "'Infinity'", '1.5e-7', '123456789012345680000']],
  ['money', ['12.34', '-1']],
  ['text', ["'plain'", "E'tab\\tquote\"back\\\\slash\\nnew\\x01'", "'é ü 😀'", "''"]],
  ['varchar(10)', ["'abc'"]],
  ['char(5)', ["'ab'"]],
  ['name', ["'a_name'"]],
  ['"char"', ["'x'"]],
  ['bytea', ["'\\x00ff10'", "''"]],
  ['bool', ['true', 'false']],
  ['date', ["'2024-02-29'", "'infinity'", "'0044-03-15 BC'"]],
  ['time', ["'12:34:56.789'", "'24:00'"]],
  ['timetz', ["'12:34:56+05:30'", "'00:00:00-08'"]],
  ['timestamp', ["'2024-01-01 00:00:00.000001'", "'-infinity'", "'0044-03-15 12:00 BC'"]],
  ['timestamptz', ["'2024-06-01 12:00:00.5+02'", "'infinity'", "'0044-03-15 12:00+00 BC'"]],
  ['interval', ["'1 day 2 hours'", "'-1 year 2 mons 3 days 04:05:06.789'", "'P1Y2M'"]],
  ['uuid', ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"]],
  ['json', [`'{"b":1,"a":[1.0,2e2],"a":"dup"}'`, `'"str"'`, "'12345678901234567890'", "'null'"]],
  ['jsonb', [`'{"b":1,"a":[1.0,2e2]}'`, "'12345678901234567890.5'", `'"123"'`]],
  ['mood', ["'happy'"]],
  ['posint', ['5']],
  ['label', ["'dom'"]],
  ['pair', ["row(1, 'a')", "row(null, 'b,\"c')"]],
  ['tagged', ["row(9007199254740993, '{a,b}', '{\"k\": 1}')"]],
  ['int4range', ["'[1,5)'", "'empty'"]],
  ['numrange', ["'(1.5,2.5]'"]],
  ['tstzrange', ["'[2024-01-01 00:00+00,2024-01-02 00:00+00)'"]],
  ['daterange', ["'[2024-01-01,)'"]],
  ['int4multirange', ["'{[1,3),[5,7)}'"]],
  ['inet', ["'192.168.0.1/24'", "'::1'"]],
  ['cidr', ["'10.0.0.0/8'"]],
  ['macaddr', ["'08:00:2b:01:02:03'"]],
  ['macaddr8', ["'08:00:2b:01:02:03:04:05'"]],
  ['tsvector', ["'a fat cat'"]],
  ['tsquery', ["'fat & rat'"]],
  ['point', ["'(1,2)'"]],
  ['line', ["'{1,2,3}'"]],
  ['lseg', ["'[(0,0),(1,1)]'"]],
  ['box', ["'(1,1),(0,0)'"]],
  ['path', ["'((0,0),(1,1),(2,0))'"]],
  ['polygon', ["'((0,0),(1,1),(1,0))'"]],
  ['circle', ["'<(0,0),2>'"]],
  ['bit(3)', ["B'101'"]],
  ['varbit', ["B'1'"]],
  ['xml', ["'<a>x</a>'"]],
  ['oid', ['12345']],
  ['pg_lsn', ["'16/B374D848'"]],
  ['int4[]', ["'{1,2,3}'", "'{{1,2},{3,4}}'", "'{1,NULL,3}'", "'[0:1]={7,8}'", "'{}'"]],
  ['int8[]', ["'{9007199254740993,NULL}'", "'{{1},{9007199254740993}}'"]],
  ['numeric[]', ["'{1.50,NaN}'"]],
  ['float8[]', ["'{1e100,-0,Infinity}'"]],
  ['text[]', [`'{"a,b","c\\"d",NULL,"NULL"}'`, "'{{a,b},{c,d}}'"]],
  ['bool[]', ["'{t,f,NULL}'"]],
  ['date[]', ["'{2024-01-01,infinity}'"]],
  ['time[]', ["'{12:00,13:30:00.5}'"]],
  ['timetz[]', ["'{12:00+01}'"]],
  ['timestamp[]', [`'{"2024-01-01 00:00:00"}'`]],
  ['timestamptz[]', [`'{"2024-01-01 00:00:00+00",NULL}'`, `'{{"2024-01-01 00:00+00"},{"2024-01-02 00:00+00"}}'`]],
  ['interval[]', [`'{"1 day","2 hours"}'`]],
  ['uuid[]', ["'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'"]],
  ['json[]', [`array['{"b":1,"a":2}'::json, null]`]],
  ['jsonb[]', [`array['{"b":1,"a":2.0}'::jsonb]`]],
  ['mood[]', ["'{happy,sad}'", "'{{happy},{sad}}'"]],
  ['bytea[]', ["array['\\x0102'::bytea, null]"]],
  ['money[]', ["'{1,2}'"]],
  ['inet[]', ["'{10.0.0.1,::1}'"]],
  ['point[]', ['array[point(1,2)]']],
  ['int4range[]', [`'{"[1,2)"}'`]],
  ['pair[]', ["array[row(1,'a')::pair, null]"]],
  ['posint[]', ['array[5,6]::posint[]']],
  ['char(3)[]', ["'{ab}'"]],
];
const column = (i: number) => `c${i}`;
const rows = Math.max(...CASES.map(([, samples]) => samples.length));

const frames: string[] = [];
/** ws with a tap on every text frame, so the test sees the JSON exactly as sent. */
class TappedSocket extends WebSocket {
  constructor(address: string, protocols?: string | string[]) {
    super(address, protocols);
    this.on('message', (data, isBinary) => {
      if (!isBinary) frames.push(data.toString());
    });
  }
}
const client = createClient(stack().apiUrl, stack().anonKey, {
  auth: { persistSession: false, autoRefreshToken: false },
  realtime: { transport: TappedSocket as never },
});

beforeAll(async () => {
  await sql.unsafe(`
    create schema ${schema};
    create type ${schema}.mood as enum ('happy', 'sad');
    create domain ${schema}.posint as int check (value > 0);
    create domain ${schema}.label as text;
    create type ${schema}.pair as (x int, y text);
    create type ${schema}.tagged as (n int8, tags text[], meta jsonb);`);
  await sql.unsafe(`
    create table ${schema}.v (id int primary key, ${CASES.map(([type], i) => `${column(i)} ${qualified(type)}`).join(', ')});
    alter table ${schema}.v replica identity full;
    grant usage on schema ${schema} to anon;
    grant select on ${schema}.v to anon;
    alter publication supabase_realtime add table ${schema}.v;`);
});
afterAll(async () => {
  await client.removeAllChannels();
  client.realtime.disconnect();
  await sql.unsafe(`alter publication supabase_realtime drop table ${schema}.v; drop schema ${schema} cascade;`);
  await sql.end();
});

/** What Postgres says each column's value is: to_jsonb of the row, read without losing digits. */
async function expected(id: number): Promise<Record<string, LosslessJson>> {
  const [row] = await sql.unsafe<{ j: string }[]>(`select to_jsonb(t)::text as j from ${schema}.v t where id = $1`, [
    id,
  ]);
  return parseLossless(row.j) as Record<string, LosslessJson>;
}

const qualified = (type: string) => type.replace(/^(mood|posint|label|pair|tagged)\b/, `${schema}.$1`);
const idOf = (record: LosslessJson) => JSON.stringify((record as Record<string, LosslessJson>).id);

test('record and old_record values equal to_jsonb of each column, every type family and its arrays', async () => {
  const inbox = new Inbox<{ eventType: string; new: Record<string, unknown> }>();
  const system = new Inbox<{ extension: string; status: string }>();
  const channel = client
    .channel('values')
    .on('system', {}, (m) => system.push(m as never))
    .on('postgres_changes', { event: '*', schema, table: 'v' }, (p) => inbox.push(p as never));
  await subscribed(channel);
  expect(await system.next((m) => m.extension === 'postgres_changes')).toMatchObject({ status: 'ok' });
  const want: Array<Record<string, LosslessJson>> = [];
  for (let k = 0; k < rows; k++) {
    const values = CASES.map(([type, samples]) =>
      k < samples.length
        ? `(${samples[k].replace(/::(mood|posint|label|pair|tagged)\b/g, `::${schema}.$1`)})::${qualified(type)}`
        : 'null',
    );
    await sql.unsafe(`insert into ${schema}.v values (${k + 1}, ${values.join(', ')})`);
    want.push(await expected(k + 1));
  }
  // An UPDATE carries the previous row in old_record (REPLICA IDENTITY FULL).
  await sql.unsafe(`update ${schema}.v set c0 = 1 where id = 2`);
  const updated = await expected(2);
  await inbox.count(rows + 1);

  const data = changeFrames(frames);
  const mismatches: string[] = [];
  const compare = (
    label: string,
    got: Record<string, LosslessJson>,
    expectedRow: Record<string, LosslessJson>,
    k: number,
  ) =>
    CASES.forEach(([type, samples], i) => {
      if (k >= samples.length) return;
      const name = column(i);
      if (JSON.stringify(got[name]) !== JSON.stringify(expectedRow[name]))
        mismatches.push(
          `${label} ${type} ${samples[k]}: sent ${JSON.stringify(got[name])}, to_jsonb ${JSON.stringify(expectedRow[name])}`,
        );
    });
  for (let k = 0; k < rows; k++) {
    const insert = data.find((d) => d.type === 'INSERT' && idOf(d.record) === idOf(want[k]));
    compare('record', insert!.record as Record<string, LosslessJson>, want[k], k);
  }
  const update = data.find((d) => d.type === 'UPDATE')!;
  compare('UPDATE record', update.record as Record<string, LosslessJson>, updated, 1);
  compare('UPDATE old_record', update.old_record as Record<string, LosslessJson>, want[1], 1);
  expect(mismatches).toEqual([]);
  // The wire carries every digit of an int8 (supabase-js then reads it as a double).
  expect(frames.some((f) => f.includes('9007199254740993'))).toBe(true);

  // And through supabase-js: 2-D arrays arrive nested (not split into garbage), intervals in Postgres' style.
  const second = (await inbox.count(2))[1].new;
  const at = (type: string) => column(CASES.findIndex(([t]) => t === type));
  expect(second[at('int4[]')]).toEqual([
    [1, 2],
    [3, 4],
  ]);
  expect(second[at('text[]')]).toEqual([
    ['a', 'b'],
    ['c', 'd'],
  ]);
  expect(second[at('mood[]')]).toEqual([['happy'], ['sad']]);
  expect((await inbox.count(1))[0].new[at('interval')]).toBe('1 day 02:00:00');
});
