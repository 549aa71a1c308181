// The `select` parameter: columns, aliases, casts, JSON paths and embedded
// resources, e.g. `id,ref:reference,driver:profiles!shipments_driver_id_fkey(full_name),events:shipment_events(*)`.
import { parseError, RestError } from '../errors';
import { readField, readName, splitTopLevel, SyntaxProblem, type FieldRef } from './tokens';

export interface StarItem {
  kind: 'star';
}

export interface ColumnItem {
  kind: 'column';
  field: FieldRef;
  alias: string | null;
  cast: string | null;
}

export interface EmbedItem {
  kind: 'embed';
  /** The related table (or the fk column / constraint used as a shortcut). */
  relation: string;
  alias: string | null;
  /** `!hint`: a foreign key constraint name or a column. */
  hint: string | null;
  joinType: 'inner' | 'left' | null;
  /** `...relation(...)`: the embedded columns are spread into the parent. */
  spread: boolean;
  children: SelectItem[];
}

export type SelectItem = StarItem | ColumnItem | EmbedItem;

const aggregateFunctions = /^(count|sum|avg|min|max)\(\)/;

export function parseSelect(raw: string): SelectItem[] {
  try {
    return parseList(raw);
  } catch (err) {
    if (err instanceof SyntaxProblem) throw parseError('select parameter', raw, err.message);
    throw err;
  }
}

function parseList(text: string): SelectItem[] {
  if (text.trim() === '') return [{ kind: 'star' }];
  return splitTopLevel(text).map((part) => parseItem(part));
}

function parseItem(text: string): SelectItem {
  if (text === '') throw new SyntaxProblem('empty item in the select list');
  if (text === '*') return { kind: 'star' };
  if (aggregateFunctions.test(text) || /\.(count|sum|avg|min|max)\(\)/.test(text)) {
    throw new RestError(400, 'PGRST123', 'Use of aggregate functions is not allowed');
  }
  let rest = text;
  let spread = false;
  if (rest.startsWith('...')) {
    spread = true;
    rest = rest.slice(3);
  }
  let alias: string | null = null;
  const first = readName(rest);
  if (!first) throw new SyntaxProblem(`unexpected "${rest[0]}" in "${text}"`);
  if (first.rest.startsWith(':') && !first.rest.startsWith('::')) {
    alias = first.name;
    rest = first.rest.slice(1);
  }
  const embedStart = findEmbedStart(rest);
  if (embedStart >= 0) return parseEmbed(rest, embedStart, alias, spread, text);
  if (spread) throw new SyntaxProblem(`"..." must be followed by an embedded resource in "${text}"`);
  const { field, rest: afterField } = readField(rest);
  let cast: string | null = null;
  let tail = afterField;
  if (tail.startsWith('::')) {
    cast = tail.slice(2);
    tail = '';
    if (!/^[a-z_][a-z0-9_]*(\[\])?$/i.test(cast)) throw new SyntaxProblem(`invalid cast "${cast}"`);
  }
  if (tail !== '') throw new SyntaxProblem(`unexpected "${tail}" in "${text}"`);
  return { kind: 'column', field, alias, cast };
}

/** Index of the '(' that opens an embedded resource's select list, or -1. */
function findEmbedStart(text: string): number {
  if (!text.endsWith(')')) return -1;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (!quoted && text[i] === '(') return i;
  }
  return -1;
}

function parseEmbed(text: string, open: number, alias: string | null, spread: boolean, original: string): EmbedItem {
  const head = text.slice(0, open);
  const inner = text.slice(open + 1, -1);
  const segments = head.split('!');
  const relation = readName(segments[0]);
  if (!relation || relation.rest !== '') throw new SyntaxProblem(`invalid embedded resource in "${original}"`);
  let hint: string | null = null;
  let joinType: EmbedItem['joinType'] = null;
  for (const segment of segments.slice(1)) {
    if (segment === 'inner' || segment === 'left') {
      if (joinType) throw new SyntaxProblem(`two join types in "${original}"`);
      joinType = segment;
      continue;
    }
    const name = readName(segment);
    if (!name || name.rest !== '' || hint) throw new SyntaxProblem(`invalid embed hint in "${original}"`);
    hint = name.name;
  }
  // An empty list (`users()`) selects nothing: the embed filters but is left out of the output.
  const children = inner.trim() === '' ? [] : parseList(inner);
  return { kind: 'embed', relation: relation.name, alias, hint, joinType, spread, children };
}
