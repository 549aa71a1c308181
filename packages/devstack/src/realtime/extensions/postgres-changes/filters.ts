// Postgres Changes filters, read as Supabase Realtime 2.129/2.130 reads them
// (lib/extensions/postgres_cdc_rls/subscriptions.ex, parse_subscription_params):
//
//   filter    := condition ("," condition)*          conditions are AND-ed
//   condition := column "=" ["not."] op "." value
//   op        := eq | neq | lt | lte | gt | gte | in | like | ilike | is
//              | match | imatch | isdistinct
//
// Commas inside parentheses or double quotes do not split conditions; a value
// in double quotes is unquoted (backslash escapes the next character); an `in`
// value `(a,b)` becomes the Postgres array literal `{a,b}`. An empty or blank
// filter means "no filter". Errors carry Supabase's wording, including the
// Elixir `inspect` of the parts it could not read (`["foo", "hey"]`).
//
// Values are not compared here: filter-batch.ts evaluates every condition in
// SQL with the column's own type, as realtime.check_equality_op does.

export const FILTER_OPERATORS = [
  'eq',
  'neq',
  'lt',
  'lte',
  'gt',
  'gte',
  'in',
  'like',
  'ilike',
  'is',
  'match',
  'imatch',
  'isdistinct',
] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** One `column=[not.]op.value` condition, as realtime.user_defined_filter stores it. */
export interface FilterCondition {
  column: string;
  op: FilterOperator;
  /** The value as Postgres reads it (for `in`, an array literal such as `{1,2}`). */
  value: string;
  negate: boolean;
}

export type ParsedFilters = { ok: true; conditions: FilterCondition[] } | { ok: false; message: string };

const isOperator = (op: string): op is FilterOperator => (FILTER_OPERATORS as readonly string[]).includes(op);

/** Parses a whole `filter` string; errors are Supabase's "Error parsing `filter` params: …". */
export function parseFilters(filter: string): ParsedFilters {
  const trimmed = elixirTrim(filter);
  if (trimmed === '') return { ok: true, conditions: [] };
  const conditions: FilterCondition[] = [];
  for (const segment of splitTopLevel(trimmed)) {
    const parsed = parseSegment(segment);
    if (typeof parsed === 'string') return { ok: false, message: `Error parsing \`filter\` params: ${parsed}` };
    conditions.push(parsed);
  }
  return { ok: true, conditions };
}

/** Splits on commas outside parentheses and outside quotes (a quote opens only after `.`, `(` or `,`). */
function splitTopLevel(filter: string): string[] {
  const segments: string[] = [];
  let current = '';
  let depth = 0;
  let quoted = false;
  let prev = '';
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i];
    if (quoted) {
      if (c === '\\' && i + 1 < filter.length) {
        current += c + filter[i + 1];
        prev = filter[++i];
        continue;
      }
      if (c === '"') quoted = false;
      current += c;
      prev = c;
      continue;
    }
    if (c === '"' && (prev === '.' || prev === '(' || prev === ',')) {
      quoted = true;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth = Math.max(0, depth - 1);
    } else if (c === ',' && depth === 0) {
      segments.push(current);
      current = '';
      prev = '';
      continue;
    }
    current += c;
    prev = c;
  }
  segments.push(current);
  return segments;
}

function parseSegment(segment: string): FilterCondition | string {
  const trimmed = elixirTrim(segment);
  if (trimmed === '') return 'filter must not contain empty segments (check for extra commas)';
  const eq = trimmed.indexOf('=');
  if (eq < 0) return inspectList([trimmed]);
  const column = trimmed.slice(0, eq);
  let rest = trimmed.slice(eq + 1);
  const negate = rest.startsWith('not.');
  if (negate) rest = rest.slice('not.'.length);
  const dot = rest.indexOf('.');
  if (dot < 0) return inspectList([rest]);
  const op = rest.slice(0, dot);
  const raw = rest.slice(dot + 1);
  if (!isOperator(op)) return inspectList([op, raw]);
  if (op === 'in') {
    if (raw.length < 2 || !raw.startsWith('(') || !raw.endsWith(')'))
      return '`in` filter value must be wrapped by parentheses';
    return { column, op, value: `{${raw.slice(1, -1)}}`, negate };
  }
  return { column, op, value: unquote(raw), negate };
}

/** `"a \"b\""` → `a "b"`; anything that is not exactly one quoted string stays as it is. */
function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  let out = '';
  for (let i = 1; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      if (i + 1 >= value.length) return value;
      out += value[++i];
    } else if (c === '"') {
      return i === value.length - 1 ? out : value;
    } else {
      out += c;
    }
  }
  return value;
}

/** Elixir's String.trim: Unicode whitespace at both ends. */
function elixirTrim(text: string): string {
  return text.replace(/^[\s\u0085]+|[\s\u0085]+$/gu, '');
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\t': '\\t',
  '\r': '\\r',
  '\f': '\\f',
  '\v': '\\v',
  '\b': '\\b',
  '\x07': '\\a',
  '\x1b': '\\e',
};

/**
 * Elixir's `inspect` of a string: double-quoted with escapes; a string with
 * other control characters is not printable and shows as its bytes `<<…>>`.
 */
export function inspectString(text: string): string {
  if (/[\x00-\x06\x0e-\x1a\x1c-\x1f\x7f]/.test(text)) return `<<${[...Buffer.from(text, 'utf8')].join(', ')}>>`;
  return `"${text.replace(/["\\\n\t\r\f\v\b\x07\x1b]|#\{/g, (c) => ESCAPES[c] ?? '\\#{')}"`;
}

/** Elixir's `inspect` of a list of strings: `["a", "b"]`. */
export function inspectList(items: string[]): string {
  return `[${items.map(inspectString).join(', ')}]`;
}

/**
 * How Supabase logs a condition list in its subscription errors: the inspect
 * of `[{column, op, value, negate}]` tuples. (Elixir breaks lines past 80
 * columns in pretty mode; this stays on one line.)
 */
export function inspectConditions(conditions: FilterCondition[]): string {
  return `[${conditions
    .map((c) => `{${inspectString(c.column)}, ${inspectString(c.op)}, ${inspectString(c.value)}, ${c.negate}}`)
    .join(', ')}]`;
}
