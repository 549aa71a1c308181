import { createHash } from 'node:crypto';
import type { Sql } from 'postgres';
import { INTERNAL_SCHEMA, REALTIME_DDL_LOCK } from '../../constants';
import type { JsonKind } from './values';

// What the visibility check needs to know about a table and a subscriber role,
// read once and cached until pgoutput sends a new Relation message for the
// table (it does after any DDL, policy or grant change on it).

export interface TableColumn {
  name: string;
  /** pg_type.typname, as the `columns` of a change name it (e.g. int4, _text). */
  typeName: string;
  /** The SQL type with its modifier, e.g. character(5) or public.shipment_status: row images are cast to it. */
  castType: string;
  /**
   * The type as Realtime's filters cast to it: atttypid::regtype, without the
   * modifier (so character(5) compares as character, like realtime.check_equality_op).
   */
  filterType: string;
  /** How to_jsonb renders a value of this type (values.ts). */
  jsonKind: JsonKind;
  isPk: boolean;
}

export interface TableInfo {
  relid: number;
  schema: string;
  table: string;
  rlsEnabled: boolean;
  columns: TableColumn[];
  byName: Map<string, TableColumn>;
}

export interface RoleView {
  /** Columns the role may select; the record is trimmed to these. */
  selectable: Set<string>;
  /** RLS does not restrict this role (RLS off, superuser, BYPASSRLS, or owner without FORCE). */
  unrestricted: boolean;
  /** Generated function that evaluates the role's SELECT policies on row images. */
  functionName: string;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

export class Catalog {
  private readonly tables = new Map<number, Promise<TableInfo | null>>();
  private readonly views = new Map<string, Promise<RoleView>>();

  constructor(private readonly sql: Sql) {}

  invalidate(relid: number): void {
    this.tables.delete(relid);
    for (const key of [...this.views.keys()]) if (key.startsWith(`${relid}:`)) this.views.delete(key);
  }

  table(relid: number): Promise<TableInfo | null> {
    let info = this.tables.get(relid);
    if (!info) {
      info = this.loadTable(relid);
      this.tables.set(relid, info);
      info.catch(() => this.tables.delete(relid));
    }
    return info;
  }

  view(table: TableInfo, role: string): Promise<RoleView> {
    const key = `${table.relid}:${role}`;
    let view = this.views.get(key);
    if (!view) {
      view = this.loadView(table, role);
      this.views.set(key, view);
      view.catch(() => this.views.delete(key));
    }
    return view;
  }

  private async loadTable(relid: number): Promise<TableInfo | null> {
    const rows = await this.sql<
      {
        schema: string;
        table: string;
        rls: boolean;
        name: string;
        type_name: string;
        cast_type: string;
        filter_type: string;
        json_kind: JsonKind;
        is_pk: boolean;
      }[]
    >`
      select n.nspname as schema, c.relname as table, c.relrowsecurity as rls, a.attname as name,
             t.typname as type_name, format_type(a.atttypid, a.atttypmod) as cast_type,
             a.atttypid::regtype::text as filter_type,
             -- to_jsonb's categories (json_categorize_type): domains, arrays, composites,
             -- json and user types with a cast to json are rendered by to_jsonb itself.
             case
               when t.typtype = 'd' or t.typtype = 'c' or t.typcategory = 'A' or t.oid = 'json'::regtype then 'sql'
               when t.oid = 'bool'::regtype then 'bool'
               when t.oid in ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype) then 'number'
               when t.oid in ('float4'::regtype, 'float8'::regtype) then 'float'
               when t.oid = 'jsonb'::regtype then 'jsonb'
               when t.oid = 'timestamp'::regtype then 'timestamp'
               when t.oid = 'timestamptz'::regtype then 'timestamptz'
               when t.oid >= 16384 and exists (
                 select 1 from pg_cast pc
                 where pc.castsource = t.oid and pc.casttarget = 'json'::regtype and pc.castmethod = 'f') then 'sql'
               else 'string'
             end as json_kind,
             coalesce(a.attnum = any(i.indkey), false) as is_pk
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      join pg_type t on t.oid = a.atttypid
      left join pg_index i on i.indrelid = c.oid and i.indisprimary
      where c.oid = ${relid}
      order by a.attnum`;
    if (rows.length === 0) return null;
    const columns = rows.map((r) => ({
      name: r.name,
      typeName: r.type_name,
      castType: r.cast_type,
      filterType: r.filter_type,
      jsonKind: r.json_kind,
      isPk: r.is_pk,
    }));
    return {
      relid,
      schema: rows[0].schema,
      table: rows[0].table,
      rlsEnabled: rows[0].rls,
      columns,
      byName: new Map(columns.map((c) => [c.name, c])),
    };
  }

  private async loadView(table: TableInfo, role: string): Promise<RoleView> {
    const [meta] = await this.sql<
      { selectable: string[]; unrestricted: boolean; permissive: string[]; restrictive: string[] }[]
    >`
      select
        array(select a.attname::text from pg_attribute a
              where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                and has_column_privilege(${role}, c.oid, a.attnum, 'SELECT')) as selectable,
        (not c.relrowsecurity or r.rolsuper or r.rolbypassrls
          or (pg_has_role(${role}, c.relowner, 'USAGE') and not c.relforcerowsecurity)) as unrestricted,
        array(select coalesce(pg_get_expr(p.polqual, p.polrelid), 'false') from pg_policy p
              where p.polrelid = c.oid and p.polcmd in ('r', '*') and p.polpermissive
                and (p.polroles = '{0}' or exists (select 1 from unnest(p.polroles) pr where pg_has_role(${role}, pr, 'MEMBER')))) as permissive,
        array(select coalesce(pg_get_expr(p.polqual, p.polrelid), 'false') from pg_policy p
              where p.polrelid = c.oid and p.polcmd in ('r', '*') and not p.polpermissive
                and (p.polroles = '{0}' or exists (select 1 from unnest(p.polroles) pr where pg_has_role(${role}, pr, 'MEMBER')))) as restrictive
      from pg_class c, pg_roles r
      where c.oid = ${table.relid} and r.rolname = ${role}`;
    if (!meta) throw new Error(`role "${role}" does not exist`);
    const predicate = [
      meta.permissive.length ? `(${meta.permissive.map((q) => `(${q})`).join(' or ')})` : 'false',
      ...meta.restrictive.map((q) => `(${q})`),
    ].join(' and ');
    const functionName = await this.defineFunction(table, role, predicate);
    return { selectable: new Set(meta.selectable), unrestricted: meta.unrestricted, functionName };
  }

  /**
   * Generates a function that evaluates `predicate` (the role's SELECT policies)
   * for each subscriber's claims against a batch of row images, as that role.
   * See visibility.ts for why it works on row images instead of table rows.
   */
  private async defineFunction(table: TableInfo, role: string, predicate: string): Promise<string> {
    const hash = createHash('sha1')
      .update(
        JSON.stringify([table.schema, table.table, role, predicate, table.columns.map((c) => [c.name, c.castType])]),
      )
      .digest('hex')
      .slice(0, 16);
    const name = `${INTERNAL_SCHEMA}.${quoteIdent(`rls_${table.relid}_${hash}`)}`;
    const params = table.columns.map((_, i) => `_rt_c${i} text[]`).join(', ');
    const unnestArgs = table.columns.map((_, i) => `pg_catalog.unnest(_rt_c${i})`).join(', ');
    const unnestCols = table.columns.map((_, i) => `_rt_v${i}`).join(', ');
    const rowCols = table.columns.map((c, i) => `_rt_k._rt_v${i}::${c.castType} as ${quoteIdent(c.name)}`).join(', ');
    const check = `
        return query
          select _rt_i, _rt_k._rt_n::int
          from rows from (${unnestArgs}) with ordinality as _rt_k(${unnestCols}, _rt_n)
          cross join lateral (select ${rowCols}) as ${quoteIdent(table.table)}
          where ${predicate};`;
    const body = `
      #variable_conflict use_column
      declare _rt_i int;
      begin
        perform pg_catalog.set_config('role', ${quoteLiteral(role)}, true);
        for _rt_i in 1 .. coalesce(pg_catalog.array_length(_rt_claims, 1), 0) loop
          perform pg_catalog.set_config('request.jwt.claims', _rt_claims[_rt_i], true),
                  pg_catalog.set_config('request.jwt.claim.sub', coalesce(_rt_claims[_rt_i]::jsonb ->> 'sub', ''), true),
                  pg_catalog.set_config('request.jwt.claim.role', coalesce(_rt_claims[_rt_i]::jsonb ->> 'role', ''), true);
          if _rt_safe then
            begin ${check}
            exception when others then null; -- a failing policy hides the row from this subscriber
            end;
          else ${check}
          end if;
        end loop;
        perform pg_catalog.set_config('role', null, true);
      end`;
    await this.sql.begin(async (tx) => {
      // Another stack on the same database may define the same function at the same moment.
      await tx`select pg_advisory_xact_lock(${REALTIME_DDL_LOCK})`;
      await tx.unsafe(`create schema if not exists ${INTERNAL_SCHEMA}`);
      await tx.unsafe(`
        create or replace function ${name}(_rt_safe boolean, _rt_claims text[], ${params})
        returns table(_rt_subscriber int, _rt_change int)
        language plpgsql volatile
        as ${'$rt$'}${body}${'$rt$'}`);
    });
    return name;
  }
}
