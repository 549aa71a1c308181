import type { Sql, TransactionSql } from 'postgres';
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

/** A filter condition bound to one table: filter-batch.ts evaluates it. */
export interface CompiledCondition extends FilterCondition {
  /** atttypid::regtype of the column (realtime.check_equality_op casts both sides to it). */
  type: string;
  /**
   * For eq / neq / isdistinct / in on a type whose text output is one-to-one
   * with its values (integers, oid, uuid, bool, text, varchar, name, date,
   * timestamp, timestamptz, enums): the filter value as Postgres outputs it
   * (for `in`, each element; null for NULL elements). Two values of such a
   * type are equal exactly when their outputs are, so the comparison needs
   * no query. Otherwise null: evaluated in SQL.
   */
  canon: string | Array<string | null> | null;
  /** The column is of a row type (IS NULL then means "all fields NULL"). */
  rowtype: boolean;
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
 * exceptions for the same mistakes, and returns per filter the column's type
 * and, where equality can be read off Postgres' own text output (see
 * CANONICAL_TYPES below), the value as that output: `canon`.
 */
export async function ensureFilterCheck(sql: Sql | TransactionSql): Promise<void> {
  await sql.unsafe(`create schema if not exists ${INTERNAL_SCHEMA}`);
  await sql.unsafe(`
    create or replace function ${FILTER_CHECK}(
      entity regclass, role_name text, columns text[], ops text[], vals text[], selected text[]
    ) returns jsonb
    language plpgsql volatile
    as $fn$
    declare
      col_names text[] = coalesce(pg_catalog.array_agg(a.attname::text order by a.attnum), '{}'::text[])
        from pg_catalog.pg_attribute a
        where a.attrelid = entity and a.attnum > 0 and not a.attisdropped
          and pg_catalog.has_column_privilege(role_name, a.attrelid, a.attnum, 'SELECT');
      col_type regtype;
      in_val jsonb;
      result jsonb = '[]'::jsonb;
      canon jsonb;
      selected_col text;
    begin
      -- Canonical values in the output format of the replication stream's row images.
      perform pg_catalog.set_config('DateStyle', 'ISO', true);
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
        canon = null;
        if ops[i] in ('eq', 'neq', 'isdistinct', 'in')
           and (col_type in ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'oid'::regtype, 'uuid'::regtype,
                             'bool'::regtype, 'text'::regtype, 'varchar'::regtype, 'name'::regtype, 'date'::regtype,
                             'timestamp'::regtype, 'timestamptz'::regtype)
                or (select t.typtype = 'e' from pg_catalog.pg_type t where t.oid = col_type)) then
          if ops[i] = 'in' then
            execute pg_catalog.format(
              'select pg_catalog.to_jsonb(array(select pg_catalog.format(''%%s'', e) from pg_catalog.unnest(%L::%s) e))',
              vals[i], col_type::text || '[]') into canon;
          else
            execute pg_catalog.format('select pg_catalog.to_jsonb(pg_catalog.format(''%%s'', %L::%s))', vals[i], col_type::text)
              into canon;
          end if;
        end if;
        result = result || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
          'type', col_type::text, 'canon', canon,
          -- a row type IS NULL when all its fields are: only SQL can say
          'rowtype', (select t.typrelid <> 0 from pg_catalog.pg_type t
                      where t.oid = coalesce((select nullif(d.typbasetype, 0) from pg_catalog.pg_type d
                                              where d.oid = col_type), col_type))));
      end loop;
      foreach selected_col in array coalesce(selected, '{}'::text[]) loop
        if not selected_col = any(col_names) then
          raise exception 'invalid column for select %', selected_col;
        end if;
      end loop;
      return result;
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
      let checked: Array<{ type: string; canon: CompiledCondition['canon']; rowtype: boolean }>;
      try {
        const [row] = await sql.unsafe<{ checked: typeof checked }[]>(
          `select ${FILTER_CHECK}($1::oid::regclass, $2::text, $3::text[], $4::text[], $5::text[], $6::text[]) as checked`,
          [
            oid,
            subscriber.claims.role,
            conditions.map((c) => c.column),
            conditions.map((c) => c.op),
            conditions.map((c) => c.value),
            params.select,
          ] as never[],
        );
        checked = row.checked;
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
          type: checked[i].type,
          canon: checked[i].canon,
          rowtype: checked[i].rowtype,
          key: JSON.stringify([oid, c.column, checked[i].type, c.op, c.value, c.negate]),
        })),
      );
    }
    compiled.push({ id: binding.id, action: params.action, entities, select: params.select });
  }
  return { ok: true, compiled };
}
