// `rpc/<fn>`: picking the overload and calling it, as PostgREST 13 does
// (src/PostgREST/Plan.hs findProc, Query/QueryBuilder.hs callPlanToQuery).
// The argument names must be exactly the required parameters plus any of the
// optional ones; several overloads fitting is PGRST203 (300), none PGRST202
// (404) with a "Perhaps you meant" hint. A function whose only parameter is
// unnamed takes the whole body (a json/jsonb one also when no other overload
// fits the keys).
import { RestError } from '../errors';
import type { SchemaCache } from '../schema/cache';
import { FuzzySet } from '../schema/fuzzy';
import type { RawMime } from '../body';
import type { DbFunction } from '../schema/introspect';
import { ident, type SqlParams } from './fragment';
import { jsonBodySql } from './write-query';

/** How the arguments came: query string (GET), a JSON or form body, or a raw body for one unnamed parameter. */
export type Invocation = 'get' | 'json' | 'form' | RawMime;

const rawTypes: Record<RawMime, string> = {
  'text/plain': 'text',
  'text/xml': 'xml',
  'application/octet-stream': 'bytea',
};

function isRaw(inv: Invocation): inv is RawMime {
  return inv in rawTypes;
}

function matchesParams(fn: DbFunction, keys: Set<string>, inv: Invocation): boolean {
  if (fn.params.length === 0) return keys.size === 0 && !isRaw(inv);
  const required = fn.params.filter((p) => p.required).map((p) => p.name);
  const optional = new Set(fn.params.filter((p) => !p.required).map((p) => p.name));
  if (required.length === 0) return [...keys].every((k) => optional.has(k));
  const rest = [...keys].filter((k) => !optional.has(k));
  return rest.length === required.length && required.every((r) => rest.includes(r));
}

/** A function whose only parameter is unnamed and of the body's type takes the body whole. */
function takesWholeBody(fn: DbFunction, inv: Invocation): boolean {
  if (fn.params.length !== 1 || fn.params[0].name !== '') return false;
  const type = fn.params[0].type;
  if (inv === 'json') return type === 'json' || type === 'jsonb';
  return isRaw(inv) && rawTypes[inv] === type;
}

function formatSignature(schema: string, fn: DbFunction): string {
  return `${schema}.${fn.name}(${fn.params.map((p) => `${p.name} => ${p.type}`).join(', ')})`;
}

/** Picks the function `rpc/<name>` calls with these argument names (POST: a JSON body's keys). */
export async function findFunction(
  cache: SchemaCache,
  name: string,
  keys: Set<string>,
  inv: Invocation,
): Promise<DbFunction> {
  const overloads = await cache.functions(name);
  const named = overloads.filter((fn) => matchesParams(fn, keys, inv));
  const fallback = overloads.filter((fn) => !matchesParams(fn, keys, inv) && takesWholeBody(fn, inv));
  const candidates = named.length > 0 ? named : fallback;
  if (candidates.length === 1) return candidates[0];
  if (candidates.length > 1) {
    throw new RestError(
      300,
      'PGRST203',
      `Could not choose the best candidate function between: ${candidates.map((fn) => formatSignature(cache.schema, fn)).join(', ')}`,
      null,
      'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
    );
  }
  const sorted = [...keys].sort();
  const func = `${cache.schema}.${name}`;
  const withParams = sorted.length === 0 ? ' without parameters' : `(${sorted.join(', ')})`;
  const searched =
    sorted.length === 0 ? ' without parameters' : ` with parameter${sorted.length > 1 ? 's' : ''} ${sorted.join(', ')}`;
  if (isRaw(inv)) {
    throw new RestError(
      404,
      'PGRST202',
      `Could not find the function ${func} in the schema cache`,
      `Searched for the function ${func} with a single unnamed ${rawTypes[inv]} parameter, but no matches were found in the schema cache.`,
    );
  }
  throw new RestError(
    404,
    'PGRST202',
    `Could not find the function ${func}${withParams} in the schema cache`,
    `Searched for the function ${func}${searched}${inv === 'json' ? ' or with a single unnamed json/jsonb parameter' : ''}, but no matches were found in the schema cache.`,
    noFunctionHint(cache, name, sorted, overloads),
  );
}

/** PostgREST's noRpcHint: the closest function name, or the closest parameter list of the overloads. */
function noFunctionHint(cache: SchemaCache, name: string, keys: string[], overloads: DbFunction[]): string | null {
  const prefix = `Perhaps you meant to call the function ${cache.schema}.`;
  if (overloads.length === 0) {
    const found = new FuzzySet(cache.now().functions.keys()).getOne(name);
    return found ? `${prefix}${found}` : null;
  }
  const list = (names: string[]) => `(${[...names].sort().join(', ')})`;
  const found = new FuzzySet(overloads.map((fn) => list(fn.params.map((p) => p.name)))).getOne(list(keys));
  return found ? `${prefix}${name}${found}` : null;
}

export type CallArgs =
  | { kind: 'query'; values: Map<string, string | string[]> }
  | { kind: 'json'; body: string; isObject: boolean }
  /** A raw body for a single unnamed parameter (bytea as `\x` hex). */
  | { kind: 'raw'; text: string };

/** The CTE body calling the function: its rows, or its value as `pgrst_scalar`. */
export function callSql(
  schema: string,
  params: SqlParams,
  fn: DbFunction,
  keys: Set<string>,
  args: CallArgs,
  returning: string[] | '*',
): string {
  const scalar = fn.returnKind !== 'composite';
  const target = `${ident(schema)}.${ident(fn.name)}`;
  const callIt = (argument: string) =>
    scalar ? `(SELECT ${target}(${argument}) pgrst_scalar) pgrst_call` : `${target}(${argument}) pgrst_call`;
  const columns = scalar
    ? 'pgrst_call.pgrst_scalar'
    : returning === '*'
      ? '"pgrst_call".*'
      : returning.length === 0
        ? '*'
        : returning.map((c) => `"pgrst_call".${ident(c)}`).join(', ');
  const single = fn.params.length === 1 && fn.params[0].name === '';
  let from: string;
  if (single) {
    const value =
      args.kind === 'json'
        ? args.body
        : args.kind === 'raw'
          ? args.text
          : JSON.stringify(Object.fromEntries(args.values));
    from = `FROM ${callIt(`${params.add(value)}::${fn.params[0].type}`)}`;
  } else {
    const used = fn.params.filter((p) => keys.has(p.name));
    if (used.length === 0) from = `FROM ${callIt('')}`;
    else if (args.kind === 'query' || args.kind === 'raw') {
      const values = args.kind === 'query' ? args.values : new Map<string, string>();
      const list = used.map((p) => {
        const value = values.get(p.name);
        const bound = Array.isArray(value)
          ? params.add(`{${value.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`)
          : params.add(value ?? null);
        return `${p.variadic ? 'VARIADIC ' : ''}${ident(p.name)} := ${bound}::${p.typeMaxLength}`;
      });
      from = `FROM ${callIt(list.join(', '))}`;
    } else {
      const body = jsonBodySql(
        params,
        { json: args.body, isObject: args.isObject },
        used.map((p) => ({ name: p.name, dataType: p.typeMaxLength, default: null })),
        { select: false, limitOne: true, defaults: false },
      );
      const named = used.map((p) => `${p.variadic ? 'VARIADIC ' : ''}${ident(p.name)} := pgrst_body.${ident(p.name)}`);
      from = `${body}, LATERAL ${callIt(named.join(', '))}`;
    }
  }
  return `SELECT ${columns} ${from}`;
}
