import { MAX_IN_FILTER_VALUES } from '../../constants';

// Postgres Changes filters: `column=op.value`, with op one of eq neq lt lte gt
// gte in. Values compare as the column's type (numbers, times, or text), and a
// filter only matches a row that carries its column (not null).

export type FilterOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'in';

export interface ParsedFilter {
  column: string;
  op: FilterOp;
  values: string[];
}

const OPS: ReadonlySet<string> = new Set(['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in']);

export function parseFilter(filter: string): ParsedFilter | { error: string } {
  const match = /^([^=]+)=([a-z]+)\.(.*)$/s.exec(filter);
  if (!match || !OPS.has(match[2])) return { error: `Error parsing \`filter\` params: ${filter}` };
  const [, column, op, raw] = match;
  if (op !== 'in') return { column, op: op as FilterOp, values: [raw] };
  const list = /^\((.*)\)$/s.exec(raw);
  if (!list) return { error: `Error parsing \`filter\` params: ${filter}` };
  const values = splitList(list[1]);
  if (values.length > MAX_IN_FILTER_VALUES) return { error: 'too many values for `in` filter. Maximum 100' };
  return { column, op: 'in', values };
}

function splitList(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim() !== '' || out.length > 0) out.push(current.trim());
  return out;
}

type Kind = 'number' | 'time' | 'uuid' | 'bool' | 'text';

export function kindOfType(typeName: string): Kind {
  if (/^(int[248]|float[48]|numeric|oid)$/.test(typeName)) return 'number';
  if (/^(timestamptz|timestamp|date)$/.test(typeName)) return 'time';
  if (typeName === 'uuid') return 'uuid';
  if (typeName === 'bool') return 'bool';
  return 'text';
}

function normalize(value: string, kind: Kind): number | string {
  switch (kind) {
    case 'number':
      return Number(value);
    case 'time': {
      const t = Date.parse(
        value.includes('T') || !value.includes(' ') ? value : value.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'),
      );
      return Number.isNaN(t) ? value : t;
    }
    case 'uuid':
      return value.toLowerCase();
    case 'bool':
      return /^(t|true|1|yes|on)$/i.test(value) ? 'true' : 'false';
    default:
      return value;
  }
}

/** A predicate over the column's text value (null/undefined never match). */
export function compileFilter(filter: ParsedFilter, typeName: string): (text: string | null | undefined) => boolean {
  const kind = kindOfType(typeName);
  const wanted = filter.values.map((v) => normalize(v, kind));
  const [target] = wanted;
  return (text) => {
    if (text === null || text === undefined) return false;
    const value = normalize(text, kind);
    switch (filter.op) {
      case 'eq':
        return value === target;
      case 'neq':
        return value !== target;
      case 'lt':
        return value < target;
      case 'lte':
        return value <= target;
      case 'gt':
        return value > target;
      case 'gte':
        return value >= target;
      case 'in':
        return wanted.includes(value);
    }
  };
}
