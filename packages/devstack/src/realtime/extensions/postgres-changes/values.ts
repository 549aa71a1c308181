import type { Sql } from 'postgres';
import { defaultLogger, type Logger } from '../../../log-json';

// Column values of `record` / `old_record`, exactly as Postgres' to_jsonb
// renders them (what REST returns for the same row; WALRUS builds them with
// to_jsonb too). Values arrive from pgoutput in the type's text output, in the
// replication session's settings (DateStyle ISO; the database's TimeZone and
// IntervalStyle, as every other session of the stack sees them).
//
// The common types are rendered here, following to_jsonb's categories
// (json_categorize_type in Postgres' jsonfuncs.c): bool, numbers (JSON number
// when the text is one, through numeric, else a string), jsonb (its text is
// already canonical), timestamp/timestamptz (ISO 8601 with a T), and every
// other scalar as a JSON string of its text. Domains, arrays (any dimension,
// NULL elements, custom bounds), composites, json and user types with a cast
// to json are sent to Postgres instead: one query per batch (ValueBatch).
//
// The output is raw JSON text, so int8 and numeric keep every digit.

export type JsonKind = 'bool' | 'number' | 'float' | 'jsonb' | 'timestamp' | 'timestamptz' | 'string' | 'sql';

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
const TIMESTAMP = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)((?:[+-]\d\d)(:\d\d)?(?::\d\d)?)?( BC)?$/;

/**
 * A float's text as to_jsonb prints it: through numeric, so `1e+100` becomes
 * the digits, `1.5e-07` becomes `0.00000015` and `-0` becomes `0`.
 */
function floatAsNumeric(text: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign, whole, fraction = '', exp = '0'] = match;
  const digits = whole + fraction;
  const point = whole.length + Number(exp);
  let intPart: string;
  let fracPart: string;
  if (point <= 0) {
    intPart = '0';
    fracPart = '0'.repeat(-point) + digits;
  } else if (point >= digits.length) {
    intPart = digits + '0'.repeat(point - digits.length);
    fracPart = '';
  } else {
    intPart = digits.slice(0, point);
    fracPart = digits.slice(point);
  }
  intPart = intPart.replace(/^0+(?=\d)/, '');
  const out = fracPart ? `${intPart}.${fracPart}` : intPart;
  return sign && /[1-9]/.test(out) ? `-${out}` : out;
}

/**
 * The JSON text to_jsonb gives for a value of this kind, from its text output;
 * null when only Postgres can render it (kind 'sql', or text of an unexpected shape).
 */
export function encodeJsonText(text: string, kind: JsonKind): string | null {
  switch (kind) {
    case 'bool':
      return text === 't' ? 'true' : text === 'f' ? 'false' : null;
    case 'number':
      return JSON_NUMBER.test(text) ? text : JSON.stringify(text);
    case 'float':
      return JSON_NUMBER.test(text) ? floatAsNumeric(text) : JSON.stringify(text);
    case 'jsonb':
      return text;
    case 'timestamp':
    case 'timestamptz': {
      if (text === 'infinity' || text === '-infinity') return JSON.stringify(text);
      const m = TIMESTAMP.exec(text);
      if (!m) return null;
      const [, date, time, zone, minutes, bc = ''] = m;
      if ((kind === 'timestamptz') !== (zone !== undefined)) return null;
      // XSD style: the zone always has minutes ("+00" → "+00:00").
      const xsdZone = zone === undefined ? '' : minutes === undefined ? `${zone}:00` : zone;
      return JSON.stringify(`${date}T${time}${xsdZone}${bc}`);
    }
    case 'string':
      return JSON.stringify(text);
    case 'sql':
      return null;
  }
}

export interface ValueTicket {
  group: number;
  index: number;
}

/** Values only to_jsonb can render, collected per batch and converted in one query. */
export class ValueBatch {
  private readonly groups = new Map<
    string,
    { id: number; type: string; texts: string[]; index: Map<string, number> }
  >();
  private results: Array<Map<number, string>> = [];

  get size(): number {
    return this.groups.size;
  }

  /** Asks for to_jsonb(text::type); `type` is a column's format_type (with its modifier). */
  request(type: string, text: string): ValueTicket {
    let group = this.groups.get(type);
    if (!group) {
      group = { id: this.groups.size, type, texts: [], index: new Map() };
      this.groups.set(type, group);
    }
    let index = group.index.get(text);
    if (index === undefined) {
      index = group.texts.push(text) - 1;
      group.index.set(text, index);
    }
    return { group: group.id, index };
  }

  /** JSON text of a requested value (a JSON string of the text if its conversion failed). */
  result(ticket: ValueTicket): string {
    const found = this.results[ticket.group]?.get(ticket.index);
    if (found !== undefined) return found;
    const group = [...this.groups.values()][ticket.group];
    return JSON.stringify(group?.texts[ticket.index] ?? null);
  }

  /** One statement for all groups; a failing group falls back to strings (and is logged). */
  async run(sql: Sql, log: Logger = defaultLogger().child({ service: 'realtime' })): Promise<void> {
    if (this.groups.size === 0) return;
    const groups = [...this.groups.values()];
    this.results = groups.map(() => new Map());
    const statement = (g: number) =>
      `select ${g} as g, (k.n - 1)::int as i, pg_catalog.to_jsonb(k.v::${groups[g].type})::text as j ` +
      `from pg_catalog.unnest($${g + 1}::text[]) with ordinality as k(v, n)`;
    const collect = (rows: Array<{ g: number; i: number; j: string }>) => {
      for (const row of rows) this.results[row.g].set(row.i, row.j);
    };
    try {
      collect(
        await sql.unsafe(
          groups.map((_, g) => statement(g)).join(' union all '),
          groups.map((x) => x.texts),
        ),
      );
    } catch (err) {
      log.warn('converting values with to_jsonb failed, retrying type by type', { reason: (err as Error).message });
      for (let g = 0; g < groups.length; g++) {
        const single = `select ${g} as g, (k.n - 1)::int as i, pg_catalog.to_jsonb(k.v::${groups[g].type})::text as j from pg_catalog.unnest($1::text[]) with ordinality as k(v, n)`;
        await sql.unsafe<Array<{ g: number; i: number; j: string }>>(single, [groups[g].texts]).then(collect, () => {});
      }
    }
  }
}
