import type { Sql } from 'postgres';
import { CHANGES_PUBLICATION, INTERNAL_SCHEMA } from '../../constants';
import type { BindingWithId, ChangesSubscriber } from '../../context';
import { describeParams, parseSubscriptionParams, type ActionFilter } from './params';
import type { FilterCondition } from './filters';

// Subscribing a channel's bindings, as Supabase Realtime does it: each binding
// becomes one subscription per table of the supabase_realtime publication it
// names (tables added to the publication later are not covered, as on
// Supabase), and every filter is validated in SQL against that table, as
// realtime.subscription_check_filters does (column readable by the role, value
// castable to the column's type, `in` ≤ 100 values, `is` keywords, operators
// that exist for the type, regular expressions that compile). The errors are
// Supabase's own texts.

/** A filter condition bound to one table: filter-batch.ts evaluates it in SQL. */
export interface CompiledCondition extends FilterCondition {
  /** atttypid::regtype of the column (realtime.check_equality_op casts both sides to it). */
  type: string;
  /** Same condition → same key, across subscribers (evaluated once per row image). */
  key: string;
}

export interface CompiledBinding {
  id: number;
  action: ActionFilter;
  /** Tables (pg_class oid) this binding covers, each with its conditions (AND-ed). */
  entities: Map<number, CompiledCondition[]>;
  select: string[] | null;
}

const FILTER_CHECK = `${INTERNAL_SCHEMA}.check_filters`;

/**
 * Creates the dev stack's copy of subscription_check_filters: raises the same
 * exceptions for the same mistakes, and returns each filter column's type.
 */
export async function ensureFilterCheck(sql: Sql): Promise<void> {
  await sql.unsafe(`create schema if not exists ${INTERNAL_SCHEMA}`);
  await sql.unsafe(`
    create or replace function ${FILTER_CHECK}(
      entity regclass, role_name text, columns text[], ops text[], vals text[], selected text[]
    ) returns text[]
    language plpgsql volatile
    as $fn$
    declare
      col_names text[] = coalesce(pg_catalog.array_agg(a.attname::text order by a.attnum), '{}'::text[])
        from pg_catalog.pg_attribute a
        where a.attrelid = entity and a.attnum > 0 and not a.attisdropped
          and pg_catalog.has_column_privilege(role_name, a.attrelid, a.attnum, 'SELECT');
      col_type regtype;
      in_val jsonb;
      types text[] = '{}'::text[];
      selected_col text;
    begin
      for i in 1 .. coalesce(pg_catalog.array_length(columns, 1), 0) loop
        if not columns[i] = any(col_names) then
          raise exception 'invalid column for filter %', columns[i];
        end if;
        col_type = (select a.atttypid::regtype from pg_catalog.pg_attribute a
                    where a.attrelid = entity and a.attname = columns[i]);
        if col_type is null then
          raise exception 'failed to lookup type for column %', columns[i];
        end if;
        if ops[i] = 'in' then
          execute pg_catalog.format('select pg_catalog.to_jsonb(%L::%s)', vals[i], col_type::text || '[]') into in_val;
          if coalesce(pg_catalog.jsonb_array_length(in_val), 0) > 100 then
            raise exception 'too many values for \`in\` filter. Maximum 100';
          end if;
        elsif ops[i] = 'is' then
          if vals[i] not in ('null', 'true', 'false', 'unknown') then
            raise exception 'invalid value for is filter: must be null, true, false, or unknown';
          end if;
          if vals[i] <> 'null' and col_type <> 'boolean'::regtype then
            raise exception 'is % filter requires a boolean column, got %', vals[i], col_type::text;
          end if;
        elsif ops[i] in ('like', 'ilike') then
          if not exists (select 1 from pg_catalog.pg_operator where oprname = '~~' and oprleft = col_type) then
            raise exception 'operator % requires a text-compatible column type, got %', ops[i], col_type::text;
          end if;
        elsif ops[i] in ('match', 'imatch') then
          if not exists (
            select 1 from pg_catalog.pg_operator
            where oprname = case when ops[i] = 'imatch' then '~*' else '~' end
              and oprleft = col_type and oprright = col_type and oprresult = 'boolean'::regtype
          ) then
            raise exception 'operator % requires a text-compatible column type, got %', ops[i], col_type::text;
          end if;
          begin
            perform '' ~ vals[i];
          exception when others then
            raise exception 'invalid regular expression for % filter: %', ops[i], sqlerrm;
          end;
        elsif col_type <> 'bytea'::regtype then
          -- realtime.cast: the value must be a valid input of the column's type (bytea is taken as is)
          execute pg_catalog.format('select pg_catalog.to_jsonb(%L::%s)', vals[i], col_type::text);
        end if;
        types = types || col_type::text;
      end loop;
      foreach selected_col in array coalesce(selected, '{}'::text[]) loop
        if not selected_col = any(col_names) then
          raise exception 'invalid column for select %', selected_col;
        end if;
      end loop;
      return types;
    end
    $fn$`);
}

/** Condition names of the SQLSTATEs filter validation can raise (Postgrex prints them). */
const CONDITION_NAMES: Record<string, string> = {
  P0001: 'raise_exception',
  '22P02': 'invalid_text_representation',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22003': 'numeric_value_out_of_range',
  '22001': 'string_data_right_truncation',
  '22026': 'string_data_length_mismatch',
  '22021': 'character_not_in_repertoire',
  '22023': 'invalid_parameter_value',
  '2201B': 'invalid_regular_expression',
  '22025': 'invalid_escape_sequence',
  '42704': 'undefined_object',
  '42883': 'undefined_function',
  '42846': 'cannot_coerce',
  '42601': 'syntax_error',
};

/** Postgrex.Error's message: `ERROR 22P02 (invalid_text_representation) …` (+ detail). */
function postgrexMessage(err: unknown): string {
  const e = err as { severity?: string; code?: string; message?: string; detail?: string };
  const name = (e.code && CONDITION_NAMES[e.code]) ?? e.code ?? 'unknown';
  return `${e.severity ?? 'ERROR'} ${e.code ?? ''} (${name}) ${e.message ?? String(err)}${e.detail ? `\n\n${e.detail}` : ''}`;
}

/**
 * Validates and compiles every binding of a channel; the first failure is the
 * channel's error, worded as Supabase words it.
 */
export async function compileBindings(
  sql: Sql,
  subscriber: ChangesSubscriber,
  bindings: BindingWithId[],
): Promise<{ ok: true; compiled: CompiledBinding[] } | { ok: false; message: string }> {
  const compiled: CompiledBinding[] = [];
  for (const binding of bindings) {
    const raw = { ...binding.echo };
    delete raw.id; // added by the server, not part of the client's map
    const parsed = parseSubscriptionParams(raw);
    if (!parsed.ok) return parsed;
    const { params } = parsed;
    const tables = await sql<{ oid: number }[]>`
      select format('%I.%I', schemaname, tablename)::regclass::oid as oid
      from pg_catalog.pg_publication_tables
      where pubname = ${CHANGES_PUBLICATION}
        and schemaname like (case ${params.schema}::text when '*' then '%' else ${params.schema}::text end) escape ''
        and tablename like (case ${params.table}::text when '*' then '%' else ${params.table}::text end) escape ''`;
    if (tables.length === 0)
      return {
        ok: false,
        message: `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [${describeParams(params)}]`,
      };
    const entities = new Map<number, CompiledCondition[]>();
    for (const { oid } of tables) {
      const { conditions } = params;
      let types: string[];
      try {
        const [row] = await sql.unsafe<{ types: string[] }[]>(
          `select ${FILTER_CHECK}($1::oid::regclass, $2::text, $3::text[], $4::text[], $5::text[], $6::text[]) as types`,
          [
            oid,
            subscriber.claims.role,
            conditions.map((c) => c.column),
            conditions.map((c) => c.op),
            conditions.map((c) => c.value),
            params.select,
          ] as never[],
        );
        types = row.types;
      } catch (err) {
        return {
          ok: false,
          message: `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [${describeParams(params)}]. Exception: ${postgrexMessage(err)}`,
        };
      }
      entities.set(
        oid,
        conditions.map((c, i) => ({
          ...c,
          type: types[i],
          key: JSON.stringify([oid, c.column, types[i], c.op, c.value, c.negate]),
        })),
      );
    }
    compiled.push({ id: binding.id, action: params.action, entities, select: params.select });
  }
  return { ok: true, compiled };
}
