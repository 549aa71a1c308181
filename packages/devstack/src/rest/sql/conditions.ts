// Filters and order terms as SQL, as PostgREST 13 writes them
// (src/PostgREST/Query/SqlFragment.hs pgFmtFilter): columns qualified by the
// relation or alias they are read under, JSON paths through to_jsonb() for
// columns that are not json, every value a bound parameter cast to the
// column's type (PostgREST sends it untyped and lets Postgres infer the same).
import type { Condition, Filter } from '../query/filters';
import { ftsFunctions, simpleOperators } from '../query/filters';
import type { JsonPathStep } from '../query/tokens';
import { type SqlParams } from './fragment';

const jsonTypes = new Set(['json', 'jsonb']);

export interface FieldRefSql {
  name: string;
  path: JsonPathStep[];
}

/** `<qualifier>."col"` followed by its JSON path (keys bound as parameters). */
export function fieldSql(params: SqlParams, qualifier: string, field: FieldRefSql, type: string | undefined): string {
  const column = field.name === '*' ? `${qualifier}.*` : `${qualifier}.${quote(field.name)}`;
  if (field.path.length === 0) return column;
  let expr = type !== undefined && jsonTypes.has(type) ? column : `to_jsonb(${column})`;
  for (const step of field.path) {
    const key = /^-?\d+$/.test(step.key) ? `${params.add(step.key)}::int` : params.add(step.key);
    expr = `${expr}${step.arrow}${key}`;
  }
  return expr;
}

function quote(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifier contains a NUL byte');
  return `"${name.replace(/"/g, '""')}"`;
}

/** Postgres array literal of text elements: {"a","b\"c"}. */
export function arrayLiteral(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** The type a filter value is read as: the column's, or what its JSON path yields. */
function valueType(type: string | undefined, field: FieldRefSql): string {
  if (field.path.length > 0) {
    const last = field.path[field.path.length - 1];
    return last.arrow === '->>' ? 'text' : type === 'json' ? 'json' : 'jsonb';
  }
  return type ?? 'text';
}

const patternOperators = new Set(['like', 'ilike', 'match', 'imatch']);

function conditionSql(
  params: SqlParams,
  expr: string,
  type: string | undefined,
  field: FieldRefSql,
  cond: Condition,
): string {
  const valueAs = valueType(type, field);
  switch (cond.op) {
    case 'is':
      return `${expr} IS ${cond.value === 'not_null' ? 'NOT NULL' : cond.value.toUpperCase()}`;
    case 'in':
      return `${expr} = ANY (${params.typed(arrayLiteral(cond.values), `${valueAs}[]`)})`;
    case 'fts': {
      const config = cond.config ? `${params.typed(cond.config, 'regconfig')}, ` : '';
      const vector = type === 'tsvector' && field.path.length === 0 ? expr : `to_tsvector(${config}${expr})`;
      return `${vector} @@ ${ftsFunctions[cond.operator]}(${config}${params.add(cond.value)})`;
    }
    case 'quantified': {
      const pattern = patternOperators.has(cond.operator);
      const values =
        cond.operator === 'like' || cond.operator === 'ilike'
          ? cond.values.map((v) => v.replace(/\*/g, '%'))
          : cond.values;
      const array = params.typed(arrayLiteral(values), pattern ? 'text[]' : `${valueAs}[]`);
      return `${expr} ${simpleOperators[cond.operator]} ${cond.quantifier.toUpperCase()}(${array})`;
    }
    case 'simple': {
      if (patternOperators.has(cond.operator))
        return `${expr} ${simpleOperators[cond.operator]} ${params.add(cond.value)}`;
      return `${expr} ${simpleOperators[cond.operator]} ${params.typed(cond.value, valueAs)}`;
    }
  }
}

export interface FilterContext {
  params: SqlParams;
  /** The rendered relation or alias columns are qualified with. */
  qualifier: string;
  typeOf(name: string): string | undefined;
  /** `embed=is.null` / `embed=not.is.null` on an embedded resource: SQL over its join, if `name` is one. */
  nullEmbed?(name: string, negate: boolean): string | null;
}

export function filterSql(ctx: FilterContext, filter: Filter): string {
  if (filter.kind === 'logic') {
    const parts = filter.children.map((child) => filterSql(ctx, child));
    const joined = `(${parts.join(filter.operator === 'and' ? ' AND ' : ' OR ')})`;
    return filter.negate ? `NOT ${joined}` : joined;
  }
  if (
    filter.field.path.length === 0 &&
    filter.condition.op === 'is' &&
    filter.condition.value === 'null' &&
    ctx.nullEmbed
  ) {
    const embedded = ctx.nullEmbed(filter.field.name, filter.negate);
    if (embedded) return embedded;
  }
  const type = ctx.typeOf(filter.field.name);
  const expr = fieldSql(ctx.params, ctx.qualifier, filter.field, type);
  const sql = conditionSql(ctx.params, expr, type, filter.field, filter.condition);
  return filter.negate ? `NOT ${sql}` : sql;
}

/** Every column name a filter tree refers to. */
export function filterColumns(filter: Filter): string[] {
  return filter.kind === 'logic' ? filter.children.flatMap(filterColumns) : [filter.field.name];
}

export function orderSuffix(direction: 'asc' | 'desc' | null, nulls: 'first' | 'last' | null): string {
  return [direction?.toUpperCase(), nulls ? `NULLS ${nulls.toUpperCase()}` : undefined].filter(Boolean).join(' ');
}
