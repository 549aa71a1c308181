// Horizontal filters: `column=[not.]op.value` and the logic trees
// `or=(a.eq.1,and(b.gt.2,c.is.null))`, `not.and=(...)`, as PostgREST reads them.
import { parseError } from '../errors';
import { readField, splitTopLevel, SyntaxProblem, unquote, type FieldRef } from './tokens';

export const simpleOperators = {
  eq: '=',
  neq: '<>',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  like: 'like',
  ilike: 'ilike',
  match: '~',
  imatch: '~*',
  cs: '@>',
  cd: '<@',
  ov: '&&',
  sl: '<<',
  sr: '>>',
  nxr: '&<',
  nxl: '&>',
  adj: '-|-',
  isdistinct: 'is distinct from',
} as const;

export type SimpleOperator = keyof typeof simpleOperators;
const quantifiable = new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch']);
const ftsOperators = {
  fts: 'to_tsquery',
  plfts: 'plainto_tsquery',
  phfts: 'phraseto_tsquery',
  wfts: 'websearch_to_tsquery',
} as const;
export type FtsOperator = keyof typeof ftsOperators;
export const ftsFunctions = ftsOperators;

export type Condition =
  | { op: 'simple'; operator: SimpleOperator; value: string }
  | { op: 'quantified'; operator: SimpleOperator; quantifier: 'any' | 'all'; values: string[] }
  | { op: 'is'; value: 'null' | 'not_null' | 'true' | 'false' | 'unknown' }
  | { op: 'in'; values: string[] }
  | { op: 'fts'; operator: FtsOperator; config: string | null; value: string };

export interface FieldFilter {
  kind: 'field';
  field: FieldRef;
  negate: boolean;
  condition: Condition;
}

export interface LogicFilter {
  kind: 'logic';
  operator: 'and' | 'or';
  negate: boolean;
  children: Filter[];
}

export type Filter = FieldFilter | LogicFilter;

/** A filter given as a query parameter: `key=value` where key is the column. */
export function parseFieldFilter(field: FieldRef, raw: string): FieldFilter {
  try {
    const { negate, condition } = parseOperation(raw, false);
    return { kind: 'field', field, negate, condition };
  } catch (err) {
    if (err instanceof SyntaxProblem) throw parseError('filter', raw, err.message);
    throw err;
  }
}

/** A logic tree given as `or=(...)` / `not.and=(...)`. */
export function parseLogicFilter(operator: 'and' | 'or', negate: boolean, raw: string): LogicFilter {
  try {
    if (!raw.startsWith('(') || !raw.endsWith(')'))
      throw new SyntaxProblem('a logic tree must be wrapped in parentheses');
    return { kind: 'logic', operator, negate, children: parseTreeItems(raw.slice(1, -1)) };
  } catch (err) {
    if (err instanceof SyntaxProblem) throw parseError('logic tree', raw, err.message);
    throw err;
  }
}

function parseTreeItems(text: string): Filter[] {
  const items = splitTopLevel(text);
  if (items.some((item) => item === '')) throw new SyntaxProblem('empty condition in logic tree');
  return items.map(parseTreeItem);
}

function parseTreeItem(text: string): Filter {
  const logic = /^(not\.)?(and|or)\((.*)\)$/s.exec(text);
  if (logic) {
    return {
      kind: 'logic',
      operator: logic[2] as 'and' | 'or',
      negate: Boolean(logic[1]),
      children: parseTreeItems(logic[3]),
    };
  }
  const { field, rest } = readField(text);
  if (!rest.startsWith('.')) throw new SyntaxProblem(`expected "." after the column in "${text}"`);
  const { negate, condition } = parseOperation(rest.slice(1), true);
  return { kind: 'field', field, negate, condition };
}

function parseOperation(raw: string, inTree: boolean): { negate: boolean; condition: Condition } {
  let text = raw;
  let negate = false;
  if (text.startsWith('not.')) {
    negate = true;
    text = text.slice(4);
  }
  const dot = text.indexOf('.');
  if (dot < 0) throw new SyntaxProblem(`expected "operator.value" in "${raw}"`);
  const opText = text.slice(0, dot);
  const rawValue = text.slice(dot + 1);
  const value = inTree ? unquote(rawValue) : rawValue;
  return { negate, condition: parseCondition(opText, rawValue, value) };
}

function parseCondition(opText: string, rawValue: string, value: string): Condition {
  if (opText === 'is') {
    const normalized = value.toLowerCase();
    if (
      normalized === 'null' ||
      normalized === 'not_null' ||
      normalized === 'true' ||
      normalized === 'false' ||
      normalized === 'unknown'
    ) {
      return { op: 'is', value: normalized };
    }
    throw new SyntaxProblem(`"is" takes null, not_null, true, false or unknown, not "${value}"`);
  }
  if (opText === 'in') return { op: 'in', values: parseList(rawValue, '(', ')') };
  const fts = /^(fts|plfts|phfts|wfts)(?:\(([^()]+)\))?$/.exec(opText);
  if (fts) return { op: 'fts', operator: fts[1] as FtsOperator, config: fts[2] ?? null, value };
  const quantified = /^([a-z]+)\((any|all)\)$/.exec(opText);
  if (quantified && quantifiable.has(quantified[1])) {
    return {
      op: 'quantified',
      operator: quantified[1] as SimpleOperator,
      quantifier: quantified[2] as 'any' | 'all',
      values: parseList(rawValue, '{', '}'),
    };
  }
  if (Object.hasOwn(simpleOperators, opText)) {
    const operator = opText as SimpleOperator;
    // PostgREST lets `*` stand for `%` in like patterns (URL-friendly).
    const pattern = operator === 'like' || operator === 'ilike' ? value.replace(/\*/g, '%') : value;
    return { op: 'simple', operator, value: pattern };
  }
  throw new SyntaxProblem(`unknown operator "${opText}"`);
}

/** `(a,"b,c",d)` → ['a', 'b,c', 'd']. */
function parseList(raw: string, open: string, close: string): string[] {
  if (!raw.startsWith(open) || !raw.endsWith(close)) throw new SyntaxProblem(`expected a list in ${open}${close}`);
  const inner = raw.slice(1, -1);
  if (inner === '') return [];
  return splitTopLevel(inner).map(unquote);
}
