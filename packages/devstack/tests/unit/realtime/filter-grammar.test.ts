import { describe, expect, test } from 'vitest';
import { parseFilters } from '../../../src/realtime/extensions/postgres-changes/filters';
import { describeParams, parseSubscriptionParams } from '../../../src/realtime/extensions/postgres-changes/params';

// The filter grammar of Supabase Realtime 2.130 (subscriptions.ex), its
// doctests first, then the edges of its splitter and unquoting.

const ok = (filter: string) => {
  const parsed = parseFilters(filter);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.conditions.map((c) => [c.column, c.op, c.value, c.negate]);
};
const error = (filter: string) => {
  const parsed = parseFilters(filter);
  if (parsed.ok) throw new Error(`parsed: ${JSON.stringify(parsed.conditions)}`);
  return parsed.message;
};

describe("Supabase's doctests", () => {
  test('eq, in, not., AND with commas, empty filters', () => {
    expect(ok('subject=eq.hey')).toEqual([['subject', 'eq', 'hey', false]]);
    expect(ok('subject=in.(hidee,ho)')).toEqual([['subject', 'in', '{hidee,ho}', false]]);
    expect(ok('subject=not.like.hey%')).toEqual([['subject', 'like', 'hey%', true]]);
    expect(ok('id=gt.0,id=lt.100')).toEqual([
      ['id', 'gt', '0', false],
      ['id', 'lt', '100', false],
    ]);
    expect(ok('')).toEqual([]);
    expect(ok('   ')).toEqual([]);
  });

  test('unsupported operator and `undefined` report what could not be read', () => {
    expect(error('subject=foo.hey')).toBe('Error parsing `filter` params: ["foo", "hey"]');
    expect(error('undefined')).toBe('Error parsing `filter` params: ["undefined"]');
  });

  test('params: schema / table / filter combinations', () => {
    const params = (map: Record<string, unknown>) => {
      const parsed = parseSubscriptionParams(map);
      return parsed.ok ? parsed.params : parsed.message;
    };
    expect(params({ schema: 'public', table: 'messages', filter: 'subject=eq.hey' })).toEqual({
      action: '*',
      schema: 'public',
      table: 'messages',
      conditions: [{ column: 'subject', op: 'eq', value: 'hey', negate: false }],
      select: null,
    });
    expect(params({ schema: 'public' })).toMatchObject({ schema: 'public', table: '*' });
    expect(params({ table: 'messages' })).toMatchObject({ schema: 'public', table: 'messages' });
    expect(params({})).toBe(
      'No subscription params provided. Please provide at least a `schema` or `table` to subscribe to: %{}',
    );
    expect(params({ event: 'INSERT', filter: 'a=eq.1' })).toBe(
      'No subscription params provided. Please provide at least a `schema` or `table` to subscribe to: %{"event" => "INSERT", "filter" => "a=eq.1"}',
    );
  });
});

describe('every operator, negated or not', () => {
  test.each(['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'like', 'ilike', 'is', 'match', 'imatch', 'isdistinct'])(
    '%s',
    (op) => {
      expect(ok(`c=${op}.v`)).toEqual([['c', op, 'v', false]]);
      expect(ok(`c=not.${op}.v`)).toEqual([['c', op, 'v', true]]);
    },
  );
  test('in, negated', () => expect(ok('c=not.in.(1,2)')).toEqual([['c', 'in', '{1,2}', true]]));
});

describe('splitting and unquoting', () => {
  test('commas inside parentheses or quotes do not split; quotes open only after . ( ,', () => {
    expect(ok('a=in.(1,2),b=eq.x')).toEqual([
      ['a', 'in', '{1,2}', false],
      ['b', 'eq', 'x', false],
    ]);
    expect(ok('a=eq."x,y",b=eq.z')).toEqual([
      ['a', 'eq', 'x,y', false],
      ['b', 'eq', 'z', false],
    ]);
    expect(ok('a=in.("x,y",z)')).toEqual([['a', 'in', '{"x,y",z}', false]]);
    expect(ok('a=eq.say"hi,b=eq.1')).toEqual([
      ['a', 'eq', 'say"hi', false],
      ['b', 'eq', '1', false],
    ]);
  });

  test('a quoted value is unescaped; a malformed one stays as it was', () => {
    expect(ok('a=eq."he said \\"hi\\""')).toEqual([['a', 'eq', 'he said "hi"', false]]);
    expect(ok('a=eq."back\\\\slash"')).toEqual([['a', 'eq', 'back\\slash', false]]);
    expect(ok('a=eq."x"y')).toEqual([['a', 'eq', '"x"y', false]]);
    expect(ok('a=eq."open')).toEqual([['a', 'eq', '"open', false]]);
  });

  test('the value may contain dots and equals signs; segments are trimmed', () => {
    expect(ok('  a=eq.1.5 , b=like.x=y ')).toEqual([
      ['a', 'eq', '1.5', false],
      ['b', 'like', 'x=y', false],
    ]);
  });

  test('errors: empty segments, no operator, in without parentheses', () => {
    expect(error('a=eq.1,,b=eq.2')).toBe(
      'Error parsing `filter` params: filter must not contain empty segments (check for extra commas)',
    );
    expect(error('a=eq.1,')).toMatch(/empty segments/);
    expect(error('a=eq')).toBe('Error parsing `filter` params: ["eq"]');
    expect(error('a=in.1,2')).toBe('Error parsing `filter` params: `in` filter value must be wrapped by parentheses');
    expect(error('a=EQ.1')).toBe('Error parsing `filter` params: ["EQ", "1"]');
    expect(error('a=nope."q\\"')).toBe('Error parsing `filter` params: ["nope", "\\"q\\\\\\""]');
  });
});

test('the log form of params, as in "Unable to subscribe …" messages', () => {
  const parsed = parseSubscriptionParams({ event: 'insert', schema: 'public', table: 't', filter: 'n=not.eq.5' });
  if (!parsed.ok) throw new Error(parsed.message);
  expect(describeParams(parsed.params)).toBe(
    'event: INSERT, schema: public, table: t, filters: [{"n", "eq", "5", true}], select: nil',
  );
});

test('select: a list of names, refused as a string or on wildcards', () => {
  expect(parseSubscriptionParams({ schema: 'public', table: 't', select: ['a', 1, 'b'] })).toMatchObject({
    ok: true,
    params: { select: ['a', 'b'] },
  });
  expect(parseSubscriptionParams({ schema: 'public', table: 't', select: 'a' })).toMatchObject({
    ok: false,
    message: expect.stringContaining('Error parsing `select` params'),
  });
  expect(parseSubscriptionParams({ schema: 'public', select: ['a'] })).toMatchObject({
    ok: false,
    message: 'Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.',
  });
});
