// Postgres text output → the JSON Supabase puts in `record` (WALRUS builds it
// with to_jsonb(value::type)). The replication connection uses DateStyle ISO
// and TimeZone UTC, so date/time text has one known shape.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const NUMBER_OIDS = new Set([20, 21, 23, 26, 700, 701, 1700]);
const ARRAY_ELEMENT: Record<number, number> = {
  1000: 16,
  1005: 21,
  1007: 23,
  1016: 20,
  1021: 700,
  1022: 701,
  1231: 1700,
  1009: 25,
  1015: 1043,
  2951: 2950,
  1014: 1042,
  1185: 1184,
  1115: 1114,
  3807: 3802,
  199: 114,
};

function toNumber(text: string): number | string {
  const n = Number(text);
  return Number.isFinite(n) ? n : text; // NaN / Infinity stay strings, like to_jsonb
}

function isoTimestamp(text: string, withZone: boolean): string {
  if (!/^\d{4}-\d{2}-\d{2} /.test(text)) return text; // infinity, BC dates
  const iso = text.replace(' ', 'T');
  if (!withZone) return iso;
  // "+00" → "+00:00", "+05:30" stays
  return iso.replace(/([+-]\d{2})$/, '$1:00');
}

function scalar(text: string, typeOid: number): JsonValue {
  if (typeOid === 16) return text === 't';
  if (NUMBER_OIDS.has(typeOid)) return toNumber(text);
  if (typeOid === 114 || typeOid === 3802) {
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      return text;
    }
  }
  if (typeOid === 1184) return isoTimestamp(text, true);
  if (typeOid === 1114) return isoTimestamp(text, false);
  return text;
}

/** Parses a one-dimensional array literal such as {1,2,NULL} or {"a b",c}. */
function parseArray(text: string, elementOid: number): JsonValue {
  if (!text.startsWith('{') || !text.endsWith('}') || text.includes('{', 1)) return text;
  const out: JsonValue[] = [];
  let i = 1;
  while (i < text.length - 1) {
    let item = '';
    let quoted = false;
    if (text[i] === '"') {
      quoted = true;
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') i++;
        item += text[i++];
      }
      i++;
    } else {
      while (i < text.length - 1 && text[i] !== ',') item += text[i++];
    }
    out.push(!quoted && item === 'NULL' ? null : scalar(item, elementOid));
    i++; // skip ','
  }
  return out;
}

export function toJson(text: string | null | undefined, typeOid: number): JsonValue {
  if (text === null || text === undefined) return null;
  const element = ARRAY_ELEMENT[typeOid];
  return element ? parseArray(text, element) : scalar(text, typeOid);
}
