// `order=col.desc.nullslast,other` and the related-order form `driver(full_name).asc`.
import { parseError } from '../errors';
import { readField, readName, splitTopLevel, SyntaxProblem, type FieldRef } from './tokens';

export interface OrderTerm {
  /** Set for `relation(column)`: order by a column of an embedded to-one resource. */
  relation: string | null;
  field: FieldRef;
  direction: 'asc' | 'desc' | null;
  nulls: 'first' | 'last' | null;
}

export function parseOrder(raw: string): OrderTerm[] {
  try {
    return splitTopLevel(raw).map(parseTerm);
  } catch (err) {
    if (err instanceof SyntaxProblem) throw parseError('order', raw, err.message);
    throw err;
  }
}

function parseTerm(text: string): OrderTerm {
  if (text === '') throw new SyntaxProblem('empty order term');
  let relation: string | null = null;
  let rest = text;
  const related = /^([^().]+)\((.+?)\)(.*)$/.exec(text);
  if (related) {
    const name = readName(related[1]);
    if (!name || name.rest !== '') throw new SyntaxProblem(`invalid related order "${text}"`);
    relation = name.name;
    const inner = readField(related[2]);
    if (inner.rest !== '') throw new SyntaxProblem(`invalid related order "${text}"`);
    return { relation, field: inner.field, ...parseModifiers(related[3], text) };
  }
  const { field, rest: after } = readField(rest);
  rest = after;
  return { relation, field, ...parseModifiers(rest, text) };
}

function parseModifiers(text: string, term: string): Pick<OrderTerm, 'direction' | 'nulls'> {
  let direction: OrderTerm['direction'] = null;
  let nulls: OrderTerm['nulls'] = null;
  if (text === '') return { direction, nulls };
  if (!text.startsWith('.')) throw new SyntaxProblem(`unexpected "${text}" in "${term}"`);
  const words = text.slice(1).split('.');
  if (words.length > 2) throw new SyntaxProblem(`too many modifiers in "${term}"`);
  for (const word of words) {
    if ((word === 'asc' || word === 'desc') && !direction && !nulls) direction = word;
    else if ((word === 'nullsfirst' || word === 'nullslast') && !nulls)
      nulls = word === 'nullsfirst' ? 'first' : 'last';
    else throw new SyntaxProblem(`unexpected "${word}" in "${term}"`);
  }
  return { direction, nulls };
}

/** limit and offset: non-negative integers. */
export function parseCount(name: string, raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw parseError(`${name} parameter`, raw, `${name} must be a non-negative integer`);
  return Number(raw);
}
