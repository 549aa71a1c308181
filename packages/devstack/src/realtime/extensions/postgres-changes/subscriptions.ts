import type { Sql } from 'postgres';
import type { BindingWithId, ChangesSubscriber } from '../../context';
import { compileFilter, parseFilter } from './filters';

// The bindings of each subscribed channel, validated against the catalog
// once at subscribe time and compiled into matchers.

export interface CompiledBinding {
  id: number;
  event: string;
  schema: string;
  /** null = every table of the schema (or of every schema when schema is '*') */
  table: string | null;
  filterColumn: string | null;
  filter: ((text: string | null | undefined) => boolean) | null;
  select: string[] | null;
}

function describe(binding: BindingWithId): string {
  const filters = binding.filter ? `[${binding.filter}]` : '[]';
  return `[event: ${binding.event}, schema: ${binding.schema}, table: ${binding.table ?? '*'}, filters: ${filters}]`;
}

function unableToSubscribe(binding: BindingWithId): { ok: false; message: string } {
  return {
    ok: false,
    message: `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: ${describe(binding)}`,
  };
}

/** Validates bindings (table, filter column, role's privilege) and compiles them. */
export async function compileBindings(
  sql: Sql,
  subscriber: ChangesSubscriber,
  bindings: BindingWithId[],
): Promise<{ ok: true; compiled: CompiledBinding[] } | { ok: false; message: string }> {
  const compiled: CompiledBinding[] = [];
  for (const binding of bindings) {
    const event = binding.event.toUpperCase();
    if (!['*', 'INSERT', 'UPDATE', 'DELETE'].includes(event)) return unableToSubscribe(binding);
    const table = binding.table && binding.table !== '*' ? binding.table : null;
    let filterColumn: string | null = null;
    let filter: CompiledBinding['filter'] = null;
    if (binding.schema !== '*' && table) {
      const parsed = binding.filter ? parseFilter(binding.filter) : null;
      if (parsed && 'error' in parsed) return { ok: false, message: parsed.error };
      const [row] = await sql<{ exists: boolean; type_name: string | null; can_select: boolean | null }[]>`
        select c.oid is not null as exists,
               (select t.typname from pg_attribute a join pg_type t on t.oid = a.atttypid
                where a.attrelid = c.oid and a.attname = ${parsed?.column ?? ''} and not a.attisdropped) as type_name,
               (select has_column_privilege(${subscriber.claims.role}, c.oid, ${parsed?.column ?? ''}, 'SELECT')
                where exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = ${parsed?.column ?? ''} and not a.attisdropped)
                  and exists (select 1 from pg_roles where rolname = ${subscriber.claims.role})) as can_select
        from (select to_regclass(format('%I.%I', ${binding.schema}::text, ${table}::text))::oid as oid) c`;
      if (!row?.exists) return unableToSubscribe(binding);
      if (parsed) {
        if (!row.type_name || !row.can_select)
          return { ok: false, message: `invalid column for filter ${parsed.column}` };
        filterColumn = parsed.column;
        filter = compileFilter(parsed, row.type_name);
      }
    } else if (binding.filter) {
      return unableToSubscribe(binding);
    }
    compiled.push({
      id: binding.id,
      event,
      schema: binding.schema,
      table,
      filterColumn,
      filter,
      select: Array.isArray(binding.select) ? binding.select : null,
    });
  }
  return { ok: true, compiled };
}
