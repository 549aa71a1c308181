// Splits a request's query string into the select tree and, for the root and
// each embedded resource (by its path, e.g. "driver" or "depot.members"),
// its filters, order, limit and offset.
import { parseError, RestError } from '../errors';
import { parseFieldFilter, parseLogicFilter, type Filter } from './filters';
import { parseCount, parseOrder, type OrderTerm } from './order';
import { parseSelect, type SelectItem } from './select';
import { readField, SyntaxProblem } from './tokens';

export interface Modifiers {
  filters: Filter[];
  order: OrderTerm[];
  limit: number | null;
  offset: number | null;
}

export interface QueryParams {
  select: SelectItem[];
  /** Keyed by embed path; '' is the root resource. */
  modifiers: Map<string, Modifiers>;
  columns: string[] | null;
  onConflict: string[] | null;
  /** GET/HEAD on a function: parameters whose value is not an operation are its arguments. */
  args: [string, string][];
}

const rootOnly = new Set(['select', 'columns', 'on_conflict']);

export function emptyModifiers(): Modifiers {
  return { filters: [], order: [], limit: null, offset: null };
}

const operation =
  /^(not\.)?(eq|neq|gt|gte|lt|lte|like|ilike|match|imatch|cs|cd|ov|sl|sr|nxr|nxl|adj|isdistinct|in|is|(?:fts|plfts|phfts|wfts)(?:\([^()]*\))?|(?:eq|gt|gte|lt|lte|like|ilike|match|imatch)\((?:any|all)\))\./;

/**
 * @param options.rpcRead a function called with GET: as PostgREST, a parameter
 *   whose value does not start with an operator (`eq.`, `in.` …) is an argument.
 */
export function parseQueryParams(search: URLSearchParams, options: { rpcRead?: boolean } = {}): QueryParams {
  const modifiers = new Map<string, Modifiers>([['', emptyModifiers()]]);
  const at = (path: string): Modifiers => {
    let found = modifiers.get(path);
    if (!found) modifiers.set(path, (found = emptyModifiers()));
    return found;
  };
  let select: SelectItem[] = [{ kind: 'star' }];
  let columns: string[] | null = null;
  let onConflict: string[] | null = null;
  const args: [string, string][] = [];

  for (const [key, value] of search) {
    if (rootOnly.has(key)) {
      if (key === 'select') select = parseSelect(value);
      else if (key === 'columns') columns = parseNameList('columns', value);
      else onConflict = parseNameList('on_conflict', value);
      continue;
    }
    const segments = key.split('.');
    const last = segments[segments.length - 1];
    if (last === 'and' || last === 'or') {
      const negate = segments.length >= 2 && segments[segments.length - 2] === 'not';
      const path = segments.slice(0, negate ? -2 : -1).join('.');
      at(path).filters.push(parseLogicFilter(last, negate, value));
    } else if (last === 'order') {
      at(segments.slice(0, -1).join('.')).order.push(...parseOrder(value));
    } else if (last === 'limit') {
      at(segments.slice(0, -1).join('.')).limit = parseCount('limit', value);
    } else if (last === 'offset') {
      at(segments.slice(0, -1).join('.')).offset = parseCount('offset', value);
    } else if (options.rpcRead && !operation.test(value)) {
      args.push([key, value]);
    } else {
      const { path, field } = splitFilterKey(key);
      at(path).filters.push(parseFieldFilter(field, value));
    }
  }
  return { select, modifiers, columns, onConflict, args };
}

/** `driver.full_name` → path 'driver', field full_name; `record->>status` → root. */
function splitFilterKey(key: string) {
  const arrow = key.indexOf('->');
  const head = arrow >= 0 ? key.slice(0, arrow) : key;
  const dot = head.lastIndexOf('.');
  const path = dot >= 0 ? key.slice(0, dot) : '';
  const fieldText = dot >= 0 ? key.slice(dot + 1) : key;
  try {
    const { field, rest } = readField(fieldText);
    if (rest !== '') throw new SyntaxProblem(`unexpected "${rest}"`);
    return { path, field };
  } catch (err) {
    if (err instanceof SyntaxProblem) throw parseError('filter', key, err.message);
    throw err;
  }
}

/** `"a","b"` or `a,b` → ['a', 'b'] (columns=, on_conflict=). */
function parseNameList(param: string, raw: string): string[] {
  const names = raw.split(',').map((part) => part.trim().replace(/^"(.*)"$/, '$1'));
  if (names.some((name) => name === '')) {
    throw new RestError(400, 'PGRST100', `"failed to parse ${param} parameter (${raw})"`, 'empty column name');
  }
  return names;
}
