import type { Sql } from 'postgres';
import type { CompiledCondition } from './subscriptions';
import { defaultLogger, type Logger } from '../../../log-json';

// Filter conditions evaluated with the column's own type, for a whole batch of
// changes in one statement. Each distinct (condition, value) pair is asked
// once, however many subscribers share the condition. Two kinds need no
// query: `is null` (is the value NULL), and equality on types whose text
// output is one-to-one with their values (the filter value was printed by
// Postgres at subscribe time, see CompiledCondition.canon).
//
// The predicate is realtime.check_equality_op's (Supabase Realtime 2.130):
// both sides cast to the column's regtype, `in` against an array of it, `is`
// against a keyword, isdistinct as IS [NOT] DISTINCT FROM, `not.` negating the
// others. A NULL result does not match (is_visible_through_filters counts only
// true results), and a condition on a column missing from the row image (a
// DELETE without REPLICA IDENTITY FULL) does not match either.

const SYMBOLS: Record<string, string> = {
  eq: '=',
  neq: '!=',
  lt: '<',
  lte: '<=',
  gt: '>',
  gte: '>=',
  like: 'LIKE',
  ilike: 'ILIKE',
  match: '~',
  imatch: '~*',
};

/** The SQL predicate of a condition over `v` (the row's text) and `x` (the filter's value). */
function predicate(c: CompiledCondition): string {
  const value = `p.v::${c.type}`;
  const literal = `p.x::${c.type}`;
  switch (c.op) {
    case 'isdistinct':
      return `(${value} IS ${c.negate ? 'NOT ' : ''}DISTINCT FROM ${literal})`;
    case 'is':
      // The keyword was checked at subscribe time (null, true, false, unknown).
      return `(${value} IS ${c.negate ? 'NOT ' : ''}${c.value.toUpperCase()})`;
    case 'in':
      return `${c.negate ? 'not ' : ''}(${value} = any (p.x::${c.type}[]))`;
    default:
      return `${c.negate ? 'not ' : ''}(${value} ${SYMBOLS[c.op]} (${literal}))`;
  }
}

/** Conditions that share one SQL predicate shape (type, operator, negation, `is` keyword). */
function shapeOf(c: CompiledCondition): string {
  return JSON.stringify([c.type, c.op, c.negate, c.op === 'is' ? c.value : null]);
}

/**
 * eq / neq / isdistinct / in on a type whose output is one-to-one with its
 * values: compare the row's text with the filter value as Postgres printed it
 * at subscribe time, with SQL's NULL rules (a NULL comparison never matches;
 * `not in` a list holding NULL never matches either).
 */
function canonicalMatch(c: CompiledCondition, value: string | null): boolean {
  if (c.op === 'isdistinct') return c.negate ? value === c.canon : value !== c.canon;
  if (value === null) return false;
  if (c.op === 'in') {
    const list = c.canon as Array<string | null>;
    if (list.includes(value)) return !c.negate;
    return c.negate && !list.includes(null);
  }
  const equal = value === c.canon;
  return (c.op === 'eq') !== c.negate ? equal : !equal;
}

interface Group {
  predicate: string;
  values: Array<string | null>;
  literals: string[];
  pairs: Map<string, number>;
  matched: Set<number>;
}

export type FilterTicket = { group: Group; pair: number } | boolean;

export class FilterBatch {
  private readonly groups = new Map<string, Group>();

  get size(): number {
    return this.groups.size;
  }

  /**
   * Asks whether a row image passes a condition. Answers at once (false) when
   * the image lacks the column; otherwise after run().
   */
  request(condition: CompiledCondition, image: ReadonlyMap<string, string | null>): FilterTicket {
    if (!image.has(condition.column)) return false;
    const value = image.get(condition.column) ?? null;
    if (condition.canon !== null) return canonicalMatch(condition, value);
    if (condition.op === 'is' && condition.value === 'null' && !condition.rowtype)
      return (value === null) !== condition.negate;
    const shape = shapeOf(condition);
    let group = this.groups.get(shape);
    if (!group) {
      group = { predicate: predicate(condition), values: [], literals: [], pairs: new Map(), matched: new Set() };
      this.groups.set(shape, group);
    }
    const pairKey = JSON.stringify([value, condition.value]);
    let pair = group.pairs.get(pairKey);
    if (pair === undefined) {
      pair = group.values.push(value) - 1;
      group.literals.push(condition.value);
      group.pairs.set(pairKey, pair);
    }
    return { group, pair };
  }

  static passes(ticket: FilterTicket): boolean {
    return typeof ticket === 'boolean' ? ticket : ticket.group.matched.has(ticket.pair);
  }

  /** Evaluates every requested pair in one statement; a group that fails matches nothing (logged). */
  async run(sql: Sql, log: Logger = defaultLogger().child({ service: 'realtime' })): Promise<void> {
    if (this.groups.size === 0) return;
    const groups = [...this.groups.values()];
    const part = (g: number, a: number) =>
      `select ${g} as g, (p.n - 1)::int as i from rows from (pg_catalog.unnest($${a}::text[]), pg_catalog.unnest($${a + 1}::text[])) ` +
      `with ordinality as p(v, x, n) where coalesce(${groups[g].predicate}, false)`;
    const collect = (rows: Array<{ g: number; i: number }>) => {
      for (const row of rows) groups[row.g].matched.add(row.i);
    };
    try {
      const text = groups.map((_, g) => part(g, 2 * g + 1)).join(' union all ');
      collect(await sql.unsafe(text, groups.flatMap((group) => [group.values, group.literals]) as never[]));
    } catch (err) {
      log.warn('evaluating filters failed, retrying filter by filter', { reason: (err as Error).message });
      for (let g = 0; g < groups.length; g++) {
        await sql
          .unsafe<Array<{ g: number; i: number }>>(part(g, 1), [groups[g].values, groups[g].literals] as never[])
          .then(collect, (e: Error) => log.warn('a filter failed', { filter: groups[g].predicate, reason: e.message }));
      }
    }
  }
}
