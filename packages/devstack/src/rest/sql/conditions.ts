// Filters and order terms as SQL over one table alias. Columns are checked by
// the caller; here every value becomes a bound parameter.
import type { Condition, Filter } from '../query/filters';
import { ftsFunctions, simpleOperators } from '../query/filters';
import type { FieldRef } from '../query/tokens';
import type { Column } from '../schema/introspect';
import { ident, type SqlParams } from './fragment';

const textTypes = /^(text|character varying|character|name|citext)$/;

/** `"alias"."col"` followed by its JSON path, keys bound as parameters. */
export function fieldSql(params: SqlParams, alias: string, field: FieldRef): string {
  let expr = `${ident(alias)}.${ident(field.name)}`;
  for (const step of field.path) {
    const key = /^-?\d+$/.test(step.key) ? `${params.add(step.key)}::int` : `${params.add(step.key)}::text`;
    expr = `(${expr}${step.arrow}${key})`;
  }
  return expr;
}

/** Postgres array literal of text elements: {"a","b\"c"}. */
export function arrayLiteral(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** The type a filter value is cast to: the column's, or what its JSON path yields. */
function valueType(column: Column | undefined, field: FieldRef): string {
  if (field.path.length > 0) {
    const last = field.path[field.path.length - 1];
    return last.arrow === '->>' ? 'text' : column?.baseType === 'json' ? 'json' : 'jsonb';
  }
  return column?.baseType ?? 'text';
}

function conditionSql(
  params: SqlParams,
  expr: string,
  column: Column | undefined,
  field: FieldRef,
  cond: Condition,
): string {
  const type = valueType(column, field);
  const isText = textTypes.test(type);
  const patternTarget = isText ? expr : `${expr}::text`;
  switch (cond.op) {
    case 'is':
      return `${expr} is ${cond.value === 'not_null' ? 'not null' : cond.value}`;
    case 'in':
      return cond.values.length === 0
        ? 'false'
        : `${expr} in (${cond.values.map((v) => params.typed(v, type)).join(', ')})`;
    case 'fts': {
      const config = cond.config ? `${params.typed(cond.config, 'regconfig')}, ` : '';
      const vector = type === 'tsvector' ? expr : `to_tsvector(${config}${expr}::text)`;
      return `${vector} @@ ${ftsFunctions[cond.operator]}(${config}${params.add(cond.value)})`;
    }
    case 'quantified': {
      const patternOp = ['like', 'ilike', 'match', 'imatch'].includes(cond.operator);
      const values =
        cond.operator === 'like' || cond.operator === 'ilike'
          ? cond.values.map((v) => v.replace(/\*/g, '%'))
          : cond.values;
      const array = params.typed(arrayLiteral(values), patternOp ? 'text[]' : `${type}[]`);
      return `${patternOp ? patternTarget : expr} ${simpleOperators[cond.operator]} ${cond.quantifier}(${array})`;
    }
    case 'simple': {
      const patternOp = ['like', 'ilike', 'match', 'imatch'].includes(cond.operator);
      if (patternOp) return `${patternTarget} ${simpleOperators[cond.operator]} ${params.add(cond.value)}`;
      return `${expr} ${simpleOperators[cond.operator]} ${params.typed(cond.value, type)}`;
    }
  }
}

export interface FilterContext {
  params: SqlParams;
  alias: string;
  columnOf(name: string): Column | undefined;
  /** SQL for `<embed>=is.null` style filters on an embedded resource, if `name` is one. */
  embedNullCheck?(name: string, cond: Condition, negate: boolean): string | null;
}

export function filterSql(ctx: FilterContext, filter: Filter): string {
  if (filter.kind === 'logic') {
    const parts = filter.children.map((child) => filterSql(ctx, child));
    const joined = `(${parts.join(filter.operator === 'and' ? ' and ' : ' or ')})`;
    return filter.negate ? `not ${joined}` : joined;
  }
  if (filter.field.path.length === 0 && !ctx.columnOf(filter.field.name) && ctx.embedNullCheck) {
    const embedded = ctx.embedNullCheck(filter.field.name, filter.condition, filter.negate);
    if (embedded) return embedded;
  }
  const expr = fieldSql(ctx.params, ctx.alias, filter.field);
  const sql = conditionSql(ctx.params, expr, ctx.columnOf(filter.field.name), filter.field, filter.condition);
  return filter.negate ? `not (${sql})` : sql;
}

/** Every column name a filter tree refers to (to check against the schema cache). */
export function filterColumns(filter: Filter): string[] {
  return filter.kind === 'logic' ? filter.children.flatMap(filterColumns) : [filter.field.name];
}

export function orderDirection(direction: 'asc' | 'desc' | null, nulls: 'first' | 'last' | null): string {
  return `${direction ?? 'asc'}${nulls ? ` nulls ${nulls}` : ''}`;
}
