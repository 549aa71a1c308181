// Reads the exposed schema from pg_catalog: tables and views with their
// columns, keys and foreign keys, functions, and the roles a request may take.
import type { Sql } from 'postgres';
import { z } from 'zod';

const columnSchema = z.object({
  name: z.string(),
  type: z.string(),
  /** The type without modifiers (varchar, not varchar(200)): what filter values are cast to. */
  baseType: z.string(),
  nullable: z.boolean(),
  default: z.string().nullable(),
  generated: z.boolean(),
});

const tableSchema = z.object({
  name: z.string(),
  kind: z.string(),
  columns: z.array(columnSchema),
  primaryKey: z.array(z.string()),
  uniqueKeys: z.array(z.array(z.string())),
});

const foreignKeySchema = z.object({
  name: z.string(),
  table: z.string(),
  columns: z.array(z.string()),
  refTable: z.string(),
  refColumns: z.array(z.string()),
});

const argSchema = z.object({ name: z.string(), type: z.string(), mode: z.string() });

const functionSchema = z.object({
  name: z.string(),
  args: z.array(argSchema),
  defaults: z.number(),
  returnType: z.string(),
  returnsSet: z.boolean(),
  /** 'void' | 'scalar' | 'composite' */
  returnKind: z.enum(['void', 'scalar', 'composite']),
  /** The exposed table a function returns rows of, for embedding on its result. */
  returnTable: z.string().nullable(),
  volatility: z.string(),
  /** Columns of a composite result (a table or type's attributes, or OUT / TABLE parameters). */
  returnColumns: z.array(columnSchema),
});

export type Column = z.infer<typeof columnSchema>;
export type Table = z.infer<typeof tableSchema>;
export type ForeignKey = z.infer<typeof foreignKeySchema>;
export type FunctionArg = z.infer<typeof argSchema>;
export type DbFunction = z.infer<typeof functionSchema>;

export interface CatalogSnapshot {
  tables: Table[];
  foreignKeys: ForeignKey[];
  functions: DbFunction[];
  /** Roles the API may switch to (members of authenticator, as PostgREST's login role). */
  roles: string[];
}

export async function introspect(sql: Sql, schema: string): Promise<CatalogSnapshot> {
  const [tables, foreignKeys, functions, roles] = await Promise.all([
    sql`
      select c.relname as name, c.relkind::text as kind,
        coalesce((select json_agg(json_build_object(
            'name', a.attname,
            'type', format_type(a.atttypid, a.atttypmod),
            'baseType', format_type(a.atttypid, null),
            'nullable', not a.attnotnull,
            'default', pg_get_expr(d.adbin, d.adrelid),
            'generated', a.attgenerated <> '' or a.attidentity = 'a') order by a.attnum)
          from pg_attribute a
          left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
          where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '[]') as columns,
        coalesce((select json_agg(a.attname order by k.ord)
          from pg_constraint p, unnest(p.conkey) with ordinality k(num, ord)
          join pg_attribute a on a.attrelid = c.oid and a.attnum = k.num
          where p.conrelid = c.oid and p.contype = 'p'), '[]') as "primaryKey",
        coalesce((select json_agg((select json_agg(a.attname order by k.ord)
            from unnest(u.conkey) with ordinality k(num, ord)
            join pg_attribute a on a.attrelid = c.oid and a.attnum = k.num))
          from pg_constraint u where u.conrelid = c.oid and u.contype in ('p', 'u')), '[]') as "uniqueKeys"
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relkind in ('r', 'v', 'm', 'f', 'p')`,
    sql`
      select con.conname as name, cl.relname as table, fcl.relname as "refTable",
        (select json_agg(a.attname order by k.ord) from unnest(con.conkey) with ordinality k(num, ord)
          join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.num) as columns,
        (select json_agg(a.attname order by k.ord) from unnest(con.confkey) with ordinality k(num, ord)
          join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.num) as "refColumns"
      from pg_constraint con
      join pg_class cl on cl.oid = con.conrelid join pg_namespace n on n.oid = cl.relnamespace
      join pg_class fcl on fcl.oid = con.confrelid join pg_namespace fn on fn.oid = fcl.relnamespace
      where con.contype = 'f' and n.nspname = ${schema} and fn.nspname = ${schema}`,
    sql`
      select p.proname as name,
        coalesce((select json_agg(json_build_object(
            'name', coalesce(p.proargnames[k.ord::int], ''),
            'type', format_type(k.type, null),
            'mode', coalesce(p.proargmodes[k.ord::int]::text, 'i')) order by k.ord)
          from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality k(type, ord)), '[]') as args,
        p.pronargdefaults::int as defaults,
        format_type(p.prorettype, null) as "returnType",
        p.proretset as "returnsSet",
        case when p.prorettype = 'void'::regtype then 'void'
             when t.typrelid <> 0 or p.prorettype = 'record'::regtype then 'composite'
             else 'scalar' end as "returnKind",
        (select rc.relname from pg_class rc join pg_namespace rn on rn.oid = rc.relnamespace
          where rc.oid = t.typrelid and rn.nspname = ${schema}) as "returnTable",
        p.provolatile::text as volatility,
        coalesce(
          (select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
              'baseType', format_type(a.atttypid, null), 'nullable', true, 'default', null, 'generated', false) order by a.attnum)
            from pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped),
          (select json_agg(json_build_object('name', coalesce(p.proargnames[i], ''), 'type', format_type(p.proallargtypes[i], null),
              'baseType', format_type(p.proallargtypes[i], null), 'nullable', true, 'default', null, 'generated', false) order by i)
            from generate_subscripts(p.proallargtypes, 1) i where p.proargmodes[i] in ('o', 'b', 't')),
          '[]') as "returnColumns"
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      join pg_type t on t.oid = p.prorettype
      where n.nspname = ${schema} and p.prokind = 'f'
        and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype, 'internal'::regtype)`,
    sql`
      select r.rolname as name from pg_roles r
      where pg_has_role('authenticator', r.oid, 'member') and r.rolname <> 'authenticator'`,
  ]);
  return {
    tables: z.array(tableSchema).parse(tables),
    foreignKeys: z.array(foreignKeySchema).parse(foreignKeys),
    functions: z.array(functionSchema).parse(functions),
    roles: roles.map((r) => String(r.name)),
  };
}
