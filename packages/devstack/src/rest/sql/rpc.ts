// `rpc/<fn>`: picks the function by name and argument names (PGRST202 when
// none fits, PGRST203 when several do) and calls it with named arguments
// converted from JSON by json_to_record, so types come from the catalog.
import { RestError } from '../errors';
import type { SchemaCache } from '../schema/cache';
import { closestName } from '../schema/cache';
import type { DbFunction } from '../schema/introspect';
import { ident, qualified, type SqlParams } from './fragment';

export function inputArgs(fn: DbFunction) {
  return fn.args.filter((a) => a.mode === 'i' || a.mode === 'b' || a.mode === 'v');
}

function takesSingleJson(fn: DbFunction): boolean {
  const args = inputArgs(fn);
  return args.length === 1 && args[0].name === '' && (args[0].type === 'json' || args[0].type === 'jsonb');
}

function accepts(fn: DbFunction, keys: string[]): boolean {
  const args = inputArgs(fn);
  if (args.some((a) => a.name === '')) return false;
  const names = args.map((a) => a.name);
  const required = names.slice(0, names.length - fn.defaults);
  return keys.every((k) => names.includes(k)) && required.every((r) => keys.includes(r));
}

export async function resolveFunction(
  cache: SchemaCache,
  name: string,
  keys: string[],
  objectBody: boolean,
): Promise<{ fn: DbFunction; singleJson: boolean }> {
  const overloads = await cache.functions(name);
  const matching = overloads.filter((fn) => accepts(fn, keys));
  if (matching.length === 1) return { fn: matching[0], singleJson: false };
  if (matching.length > 1) {
    const exact = matching.filter((fn) => inputArgs(fn).length === keys.length);
    if (exact.length === 1) return { fn: exact[0], singleJson: false };
    throw new RestError(
      300,
      'PGRST203',
      `Could not choose the best candidate function between: ${matching
        .map(
          (fn) =>
            `${cache.schema}.${name}(${inputArgs(fn)
              .map((a) => `${a.name} => ${a.type}`)
              .join(', ')})`,
        )
        .join(', ')}`,
      null,
      'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
    );
  }
  const single = objectBody ? overloads.filter(takesSingleJson) : [];
  if (single.length === 1) return { fn: single[0], singleJson: true };
  const sorted = [...keys].sort();
  const hintName = overloads.length === 0 ? closestName(name, cache.functionNames()) : null;
  throw new RestError(
    404,
    'PGRST202',
    `Could not find the function ${cache.schema}.${name}${sorted.length > 0 ? `(${sorted.join(', ')})` : ' without parameters'} in the schema cache`,
    `Searched for the function ${cache.schema}.${name}${sorted.length > 0 ? ` with parameter${sorted.length > 1 ? 's' : ''} ${sorted.join(', ')}` : ' without parameters'}${objectBody ? ' or with a single unnamed json/jsonb parameter' : ''}, but no matches were found in the schema cache.`,
    hintName ? `Perhaps you meant to call the function ${cache.schema}.${hintName}` : null,
  );
}

/** The FROM item calling the function, aliased as `alias`. */
export function callFrom(
  schema: string,
  params: SqlParams,
  fn: DbFunction,
  singleJson: boolean,
  args: Record<string, unknown>,
  keys: string[],
  alias: string,
): string {
  const target = qualified(schema, fn.name);
  if (singleJson) {
    const type = inputArgs(fn)[0].type;
    return `${target}(${params.add(JSON.stringify(args))}::${type}) as ${ident(alias)}`;
  }
  if (keys.length === 0) return `${target}() as ${ident(alias)}`;
  const used = inputArgs(fn).filter((a) => keys.includes(a.name));
  // Types come from the catalog (format_type), never from the request.
  const record = `json_to_record(${params.add(JSON.stringify(args))}::json) as pgrst_args(${used.map((a) => `${ident(a.name)} ${a.type}`).join(', ')})`;
  const call = `${target}(${used.map((a) => `${ident(a.name)} := pgrst_args.${ident(a.name)}`).join(', ')})`;
  return `${record} cross join lateral ${call} as ${ident(alias)}`;
}
