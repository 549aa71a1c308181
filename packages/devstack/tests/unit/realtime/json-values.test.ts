import { expect, test } from 'vitest';
import { encodeJsonText } from '../../../src/realtime/extensions/postgres-changes/values';
import { databaseOf, persistentSlotName } from '../../../src/realtime/extensions/postgres-changes/slot';

// The JavaScript side of to_jsonb rendering. The authority is Postgres: the
// stack test values.test.ts compares every type family with select to_jsonb(col).

test('numbers stay raw JSON text (every digit); non-numbers become strings', () => {
  expect(encodeJsonText('9007199254740993', 'number')).toBe('9007199254740993');
  expect(encodeJsonText('1.50', 'number')).toBe('1.50');
  expect(encodeJsonText('NaN', 'number')).toBe('"NaN"');
  expect(encodeJsonText('-Infinity', 'number')).toBe('"-Infinity"');
});

test('floats go through numeric, as jsonb stores them', () => {
  expect(encodeJsonText('1e+100', 'float')).toBe(`1${'0'.repeat(100)}`);
  expect(encodeJsonText('1.5e-07', 'float')).toBe('0.00000015');
  expect(encodeJsonText('-1.25e+3', 'float')).toBe('-1250');
  expect(encodeJsonText('-0', 'float')).toBe('0');
  expect(encodeJsonText('0.1', 'float')).toBe('0.1');
  expect(encodeJsonText('Infinity', 'float')).toBe('"Infinity"');
});

test('timestamps in XSD form; unexpected text is left to Postgres', () => {
  expect(encodeJsonText('2024-01-01 00:00:00.000001+00', 'timestamptz')).toBe('"2024-01-01T00:00:00.000001+00:00"');
  expect(encodeJsonText('2024-01-01 05:00:00+05:30', 'timestamptz')).toBe('"2024-01-01T05:00:00+05:30"');
  expect(encodeJsonText('0044-03-15 12:00:00+00 BC', 'timestamptz')).toBe('"0044-03-15T12:00:00+00:00 BC"');
  expect(encodeJsonText('2024-01-01 00:00:00', 'timestamp')).toBe('"2024-01-01T00:00:00"');
  expect(encodeJsonText('infinity', 'timestamp')).toBe('"infinity"');
  expect(encodeJsonText('01/02/2024 00:00', 'timestamp')).toBeNull();
});

test('bool, jsonb, strings; sql kinds are not rendered here', () => {
  expect(encodeJsonText('t', 'bool')).toBe('true');
  expect(encodeJsonText('{"a": 1.0}', 'jsonb')).toBe('{"a": 1.0}');
  expect(encodeJsonText('a "b"\n', 'string')).toBe('"a \\"b\\"\\n"');
  expect(encodeJsonText('{1,2}', 'sql')).toBeNull();
});

test('persistent slot names: one per database, valid slot names, distinct when long', () => {
  expect(persistentSlotName('postgres')).toBe('devstack_realtime_postgres');
  expect(persistentSlotName('My-App')).toBe('devstack_realtime_my_app');
  const long = (n: number) => persistentSlotName(`${'x'.repeat(60)}${n}`);
  expect(long(1)).toMatch(/^[a-z0-9_]{1,63}$/);
  expect(long(1)).not.toBe(long(2));
  expect(databaseOf('postgresql://postgres:pw@127.0.0.1:54322/postgres')).toBe('postgres');
  expect(databaseOf('postgresql://alice@host')).toBe('alice');
});
