import { inspectConditions, inspectString, parseFilters, type FilterCondition } from './filters';

// One postgres_changes binding of a join payload, read as Supabase Realtime
// reads it (Extensions.PostgresCdcRls.Subscriptions.parse_subscription_params):
// which keys may appear together, the action filter, `select`, and the error
// texts the channel reports in its "postgres_changes" system message.

export type ActionFilter = '*' | 'INSERT' | 'UPDATE' | 'DELETE';

export interface SubscriptionParams {
  action: ActionFilter;
  /** '*' = every schema */
  schema: string;
  /** '*' = every table of the schema */
  table: string;
  conditions: FilterCondition[];
  /** null = every column */
  select: string[] | null;
}

export type ParsedParams = { ok: true; params: SubscriptionParams } | { ok: false; message: string };

function actionFilter(event: unknown): ActionFilter {
  if (typeof event !== 'string') return '*';
  const upper = event.toUpperCase();
  return upper === 'INSERT' || upper === 'UPDATE' || upper === 'DELETE' ? upper : '*';
}

const has = (map: Record<string, unknown>, key: string) => Object.prototype.hasOwnProperty.call(map, key);

/** Reads a binding's map (the client's, without the id the server adds). */
export function parseSubscriptionParams(map: Record<string, unknown>): ParsedParams {
  let select: string[] | null = null;
  if (has(map, 'select')) {
    const raw = map.select;
    if (typeof raw === 'string')
      return {
        ok: false,
        message: 'Error parsing `select` params: expected a list of column name strings, e.g. select: ["col1", "col2"]',
      };
    if (Array.isArray(raw)) {
      const names = raw.filter((c): c is string => typeof c === 'string');
      select = names.length > 0 ? names : null;
    }
  }
  const action = actionFilter(map.event);
  const { schema, table, filter } = map;
  const build = (s: string, t: string, conditions: FilterCondition[]): ParsedParams => {
    if (select && (s === '*' || t === '*'))
      return {
        ok: false,
        message:
          'Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.',
      };
    return { ok: true, params: { action, schema: s, table: t, conditions, select } };
  };
  if (typeof schema === 'string' && typeof table === 'string' && typeof filter === 'string') {
    const parsed = parseFilters(filter);
    return parsed.ok ? build(schema, table, parsed.conditions) : parsed;
  }
  if (typeof schema === 'string' && typeof table === 'string' && !has(map, 'filter')) return build(schema, table, []);
  if (typeof schema === 'string' && !has(map, 'table') && !has(map, 'filter')) return build(schema, '*', []);
  if (typeof table === 'string' && !has(map, 'schema') && !has(map, 'filter')) return build('public', table, []);
  const shown = has(map, 'user_token') || has(map, 'auth_token') ? '<redacted>' : inspectTerm(map);
  return {
    ok: false,
    message: `No subscription params provided. Please provide at least a \`schema\` or \`table\` to subscribe to: ${shown}`,
  };
}

/** Supabase's log form of parsed params: `event: *, schema: public, table: t, filters: [...], select: nil`. */
export function describeParams(params: SubscriptionParams): string {
  const select = params.select ? `[${params.select.map(inspectString).join(', ')}]` : 'nil';
  return `event: ${params.action}, schema: ${params.schema}, table: ${params.table}, filters: ${inspectConditions(params.conditions)}, select: ${select}`;
}

/** Elixir's `inspect` of a decoded JSON term (maps with sorted string keys, lists, nil, numbers). */
export function inspectTerm(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return inspectString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(inspectTerm).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `%{${entries.map(([k, v]) => `${inspectString(k)} => ${inspectTerm(v)}`).join(', ')}}`;
  }
  return String(value);
}
