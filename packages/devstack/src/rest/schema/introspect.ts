// Reads the exposed schema from pg_catalog, as PostgREST 13's schema cache
// does (src/PostgREST/SchemaCache.hs): relations with their columns and keys,
// every foreign key (one-to-one when its columns are a primary or unique key),
// view definitions (for relationships through views), functions with their
// parameters and return shape, functions over a row type (computed fields and
// computed relationships), the roles a request may take, and the `pgrst.*`
// settings of the authenticator role (in-database config).
//
// Runs with an empty search_path so every type name outside pg_catalog comes
// back schema-qualified, as PostgREST's does.
import type { Sql } from 'postgres';
import { z } from 'zod';

const columnSchema = z.object({
  name: z.string(),
  /** What json_to_recordset reads the column as (PostgREST's data_type: no typmod for catalog types). */
  dataType: z.string(),
  /** The type filter values are cast to: the column's type without modifiers. */
  baseType: z.string(),
  nullable: z.boolean(),
  /** The default as SQL (identity columns: nextval of their sequence; domains: the domain's default). */
  default: z.string().nullable(),
});

const tableSchema = z.object({
  oid: z.coerce.number(),
  name: z.string(),
  isView: z.boolean(),
  columns: z.array(columnSchema),
  /** Primary key columns sorted by name, as PostgREST keeps them (views get theirs from their base table). */
  primaryKey: z.array(z.string()),
});

const foreignKeySchema = z.object({
  name: z.string(),
  tableOid: z.coerce.number(),
  tableSchema: z.string(),
  table: z.string(),
  refTableOid: z.coerce.number(),
  refTableSchema: z.string(),
  refTable: z.string(),
  columns: z.array(z.string()),
  columnNums: z.array(z.number()),
  refColumns: z.array(z.string()),
  refColumnNums: z.array(z.number()),
  oneToOne: z.boolean(),
});

const keyConstraintSchema = z.object({
  name: z.string(),
  tableOid: z.coerce.number(),
  tableSchema: z.string(),
  table: z.string(),
  columns: z.array(z.object({ num: z.number(), name: z.string() })),
});

const viewSchema = z.object({
  oid: z.coerce.number(),
  schema: z.string(),
  name: z.string(),
  definition: z.string(),
  columns: z.array(z.object({ num: z.number(), name: z.string() })),
});

const paramSchema = z.object({
  name: z.string(),
  type: z.string(),
  /** character → character varying and bit → bit varying, so arguments are not truncated. */
  typeMaxLength: z.string(),
  required: z.boolean(),
  variadic: z.boolean(),
});

const functionSchema = z.object({
  name: z.string(),
  params: z.array(paramSchema),
  returnsSet: z.boolean(),
  returnKind: z.enum(['void', 'scalar', 'composite']),
  /** The returned type's name (a table's name for `setof table`): the name results are read under. */
  returnTypeName: z.string(),
  /** A composite return type that is a domain over a composite. */
  returnsCompositeAlias: z.boolean(),
  volatility: z.enum(['i', 's', 'v']),
  hasVariadic: z.boolean(),
  /** Columns of a composite result (a relation's or type's attributes, or OUT / TABLE parameters). */
  returnColumns: z.array(columnSchema),
});

const rowFunctionSchema = z.object({
  name: z.string(),
  /** The relation whose row type is the only argument. */
  table: z.string(),
  tableSchema: z.string(),
  returnType: z.string(),
  /** Set when the function returns rows of a relation: a computed relationship. */
  returnTable: z.string().nullable(),
  returnTableSchema: z.string().nullable(),
  toOne: z.boolean(),
});

export type Column = z.infer<typeof columnSchema>;
export type Table = z.infer<typeof tableSchema>;
export type ForeignKey = z.infer<typeof foreignKeySchema>;
export type KeyConstraint = z.infer<typeof keyConstraintSchema>;
export type ViewDefinition = z.infer<typeof viewSchema>;
export type RoutineParam = z.infer<typeof paramSchema>;
export type DbFunction = z.infer<typeof functionSchema>;
export type RowFunction = z.infer<typeof rowFunctionSchema>;

/** PostgREST's in-database configuration (`alter role authenticator set pgrst.… = …`). */
export interface DbSettings {
  /** pgrst.db_plan_enabled: serve `Accept: application/vnd.pgrst.plan` (EXPLAIN). */
  planEnabled: boolean;
  /** pgrst.db_tx_end: commit | commit-allow-override | rollback | rollback-allow-override. */
  txEnd: 'commit' | 'commit-allow-override' | 'rollback' | 'rollback-allow-override';
}

export interface CatalogRows {
  tables: Table[];
  foreignKeys: ForeignKey[];
  primaryKeys: KeyConstraint[];
  views: ViewDefinition[];
  functions: DbFunction[];
  rowFunctions: RowFunction[];
  /** Roles the API may switch to (members of authenticator, as PostgREST's login role). */
  roles: string[];
  settings: DbSettings;
}

const txEnds = ['commit', 'commit-allow-override', 'rollback', 'rollback-allow-override'] as const;

function columnsOf(relid: string): string {
  return `coalesce((select json_agg(json_build_object(
      'name', a.attname,
      'dataType', case
        when t.typtype = 'd' then case when bt.typnamespace = 'pg_catalog'::regnamespace
          then format_type(t.typbasetype, null) else format_type(a.atttypid, a.atttypmod) end
        when t.typnamespace = 'pg_catalog'::regnamespace then format_type(a.atttypid, null)
        else format_type(a.atttypid, a.atttypmod) end,
      'baseType', format_type(a.atttypid, null),
      'nullable', not (a.attnotnull or (t.typtype = 'd' and t.typnotnull)),
      'default', case
        when t.typbasetype <> 0 and d.adbin is null then pg_get_expr(t.typdefaultbin, 0)
        when a.attidentity = 'd' then format('nextval(%L)', seq.objid::regclass)
        when a.attgenerated = 's' then null
        else pg_get_expr(d.adbin, d.adrelid) end) order by a.attnum)
    from pg_attribute a
    join pg_type t on t.oid = a.atttypid
    left join pg_type bt on bt.oid = t.typbasetype
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    left join pg_depend seq on seq.refobjid = a.attrelid and seq.refobjsubid = a.attnum and seq.deptype = 'i'
      and seq.classid = 'pg_class'::regclass
    where a.attrelid = ${relid} and a.attnum > 0 and not a.attisdropped), '[]')`;
}

const systemSchemas = `('pg_catalog', 'information_schema', 'pg_toast')`;

export async function introspect(sql: Sql, schema: string): Promise<CatalogRows> {
  return sql.begin('read only', async (tx) => {
    await tx`set local search_path to ''`;
    const tables = await tx.unsafe(
      `select c.oid::int8 as oid, c.relname as name, c.relkind in ('v', 'm') as "isView",
         ${columnsOf('c.oid')} as columns,
         coalesce((select json_agg(a.attname order by a.attname) from pg_constraint p
           join pg_attribute a on a.attrelid = c.oid and a.attnum = any(p.conkey)
           where p.conrelid = c.oid and p.contype = 'p'), '[]') as "primaryKey"
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = $1 and c.relkind in ('r', 'v', 'm', 'f', 'p') and not c.relispartition`,
      [schema],
    );
    const foreignKeys = await tx.unsafe(
      `select con.conname as name, con.conrelid::int8 as "tableOid", tn.nspname as "tableSchema", tc.relname as table,
         con.confrelid::int8 as "refTableOid", fn.nspname as "refTableSchema", fc.relname as "refTable",
         (select json_agg(a.attname order by k.ord) from unnest(con.conkey) with ordinality k(num, ord)
           join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.num) as columns,
         to_json(con.conkey) as "columnNums",
         (select json_agg(a.attname order by k.ord) from unnest(con.confkey) with ordinality k(num, ord)
           join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.num) as "refColumns",
         to_json(con.confkey) as "refColumnNums",
         exists (select 1 from pg_constraint u where u.conrelid = con.conrelid and u.contype in ('p', 'u')
           and (select array_agg(x order by x) from unnest(u.conkey) x) = (select array_agg(x order by x) from unnest(con.conkey) x)) as "oneToOne"
       from pg_constraint con
       join pg_class tc on tc.oid = con.conrelid join pg_namespace tn on tn.oid = tc.relnamespace
       join pg_class fc on fc.oid = con.confrelid join pg_namespace fn on fn.oid = fc.relnamespace
       where con.contype = 'f' and con.conparentid = 0 and tn.nspname not in ${systemSchemas}
       order by con.conrelid, con.conname`,
    );
    const primaryKeys = await tx.unsafe(
      `select con.conname as name, con.conrelid::int8 as "tableOid", n.nspname as "tableSchema", c.relname as table,
         (select json_agg(json_build_object('num', a.attnum, 'name', a.attname) order by k.ord)
           from unnest(con.conkey) with ordinality k(num, ord)
           join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.num) as columns
       from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
       where con.contype = 'p' and n.nspname not in ${systemSchemas}`,
    );
    const views = await tx.unsafe(
      `select c.oid::int8 as oid, n.nspname as schema, c.relname as name, r.ev_action::text as definition,
         coalesce((select json_agg(json_build_object('num', a.attnum, 'name', a.attname) order by a.attnum)
           from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '[]') as columns
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       join pg_rewrite r on r.ev_class = c.oid and r.rulename = '_RETURN'
       where c.relkind in ('v', 'm') and n.nspname not in ${systemSchemas}`,
    );
    const functions = await tx.unsafe(functionsQuery(), [schema]);
    const rowFunctions = await tx.unsafe(
      `select p.proname as name, ac.relname as table, an.nspname as "tableSchema",
         format_type(p.prorettype, null) as "returnType",
         rc.relname as "returnTable", rn.nspname as "returnTableSchema",
         not p.proretset or p.prorows = 1 as "toOne"
       from pg_proc p
       join pg_namespace pn on pn.oid = p.pronamespace
       join pg_class ac on ac.reltype = p.proargtypes[0] join pg_namespace an on an.oid = ac.relnamespace
       left join pg_class rc on rc.reltype = p.prorettype and rc.relkind in ('v', 'r', 'm', 'f', 'p')
       left join pg_namespace rn on rn.oid = rc.relnamespace
       where pn.nspname = $1 and p.pronargs = 1 and p.prokind = 'f'
         and ac.relkind in ('v', 'r', 'm', 'f', 'p')`,
      [schema],
    );
    const roles = await tx`
      select r.rolname as name from pg_roles r
      where pg_has_role('authenticator', r.oid, 'member') and r.rolname <> 'authenticator'`;
    const settings = await tx`
      select distinct on (key) replace(k, 'pgrst.', '') as key, v as value
      from (select s.setdatabase as database, split_part(c, '=', 1) as k, substr(c, strpos(c, '=') + 1) as v
            from pg_db_role_setting s, unnest(s.setconfig) c
            where s.setrole = (select oid from pg_roles where rolname = 'authenticator')
              and s.setdatabase in (0, (select oid from pg_database where datname = current_database()))) kv
      where k in ('pgrst.db_plan_enabled', 'pgrst.db_tx_end')
      order by key, database desc`;
    const setting = (key: string) => settings.find((s) => s.key === key)?.value as string | undefined;
    const txEnd = setting('db_tx_end');
    return {
      tables: z.array(tableSchema).parse(tables),
      foreignKeys: z.array(foreignKeySchema).parse(foreignKeys),
      primaryKeys: z.array(keyConstraintSchema).parse(primaryKeys),
      views: z.array(viewSchema).parse(views),
      functions: z.array(functionSchema).parse(functions),
      rowFunctions: z.array(rowFunctionSchema).parse(rowFunctions),
      roles: roles.map((r) => String(r.name)),
      settings: {
        planEnabled: (setting('db_plan_enabled') ?? 'false').toLowerCase() === 'true',
        txEnd: txEnds.find((t) => t === txEnd) ?? 'commit',
      },
    };
  });
}

/**
 * Functions PostgREST can call: those with no unnamed parameter, or exactly one
 * when the first parameter is bytea, json, jsonb, text or xml (it then takes the
 * whole body). Trigger functions and procedures are left out.
 */
function functionsQuery(): string {
  return `
    with params as (
      select p.oid, a.ord, coalesce(p.proargnames[a.ord], '') as name, a.type,
        coalesce(p.proargmodes[a.ord]::text, 'i') as mode
      from pg_proc p, unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality a(type, ord)
      where p.pronamespace = (select oid from pg_namespace where nspname = $1)
    ),
    inputs as (
      select oid, name, type, mode, row_number() over (partition by oid order by ord) as idx
      from params where mode in ('i', 'b', 'v')
    ),
    input_lists as (
      select i.oid,
        json_agg(json_build_object(
          'name', i.name,
          'type', format_type(i.type, null),
          'typeMaxLength', case i.type when 'bit'::regtype then 'bit varying' when 'bit[]'::regtype then 'bit varying[]'
            when 'character'::regtype then 'character varying' when 'character[]'::regtype then 'character varying[]'
            else format_type(i.type, null) end,
          'required', i.idx <= p.pronargs - p.pronargdefaults,
          'variadic', i.mode = 'v') order by i.idx) as params,
        case count(*) filter (where i.name = '')
          when 0 then true
          when 1 then (array_agg(i.type order by i.idx))[1] in ('bytea'::regtype, 'json'::regtype, 'jsonb'::regtype, 'text'::regtype, 'xml'::regtype)
          else false end as callable
      from inputs i join pg_proc p on p.oid = i.oid
      group by i.oid
    )
    select p.proname as name, coalesce(il.params, '[]') as params, p.proretset as "returnsSet",
      case when p.prorettype = 'void'::regtype then 'void'
           when t.typtype = 'c' or t.oid = 'record'::regtype or coalesce(p.proargmodes::text[] && '{t,b,o}', false) then 'composite'
           else 'scalar' end as "returnKind",
      coalesce(comp.relname, t.typname)::text as "returnTypeName",
      t.oid <> p.prorettype as "returnsCompositeAlias",
      p.provolatile::text as volatility,
      p.provariadic <> 0 as "hasVariadic",
      coalesce(
        case when comp.oid is not null then ${columnsOf('comp.oid')} end,
        (select json_agg(json_build_object('name', coalesce(p.proargnames[o.ord], ''),
            'dataType', format_type(o.type, null), 'baseType', format_type(o.type, null),
            'nullable', true, 'default', null) order by o.ord)
          from unnest(p.proallargtypes) with ordinality o(type, ord) where p.proargmodes[o.ord] in ('o', 'b', 't')),
        '[]') as "returnColumns"
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    left join input_lists il on il.oid = p.oid
    join pg_type rt on rt.oid = p.prorettype
    join pg_type t on t.oid = case when rt.typtype = 'd' then rt.typbasetype else rt.oid end
    left join pg_class comp on comp.oid = t.typrelid
    where n.nspname = $1 and p.prokind = 'f' and coalesce(il.callable, true)
      and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype)`;
}

/** Time zone names for `Prefer: timezone=` (read once: scanning them costs ~0.2 s on some builds). */
export async function timezoneNames(sql: Sql): Promise<Set<string>> {
  const rows = await sql<{ name: string }[]>`select name from pg_timezone_names`;
  return new Set(rows.map((r) => r.name));
}
