// The schema cache: what PostgREST calls its view of the exposed schema. It
// reloads on `NOTIFY pgrst, 'reload schema'` (and 'reload config', which
// re-reads the in-database settings) and, once, when a lookup misses but the
// catalog has the name now (a table created a moment ago should not need a
// restart).
import type { Sql } from 'postgres';
import { introspect, timezoneNames, type Column, type DbFunction, type DbSettings, type Table } from './introspect';
import { buildRelationships, type RelationshipMap } from './relationships';
import { viewKeyDependencies } from './view-keys';

export interface Snapshot {
  tables: Map<string, Table>;
  relationships: RelationshipMap;
  /** Overloads by name, in PostgREST's order (fewer parameters first). */
  functions: Map<string, DbFunction[]>;
  /** Functions over a table's row type, by table then name: their return types. */
  computedFields: Map<string, Map<string, string>>;
  roles: Set<string>;
  settings: DbSettings;
}

function compareFunctions(a: DbFunction, b: DbFunction): number {
  if (a.params.length !== b.params.length) return a.params.length - b.params.length;
  for (let i = 0; i < a.params.length; i++) {
    const x = a.params[i];
    const y = b.params[i];
    for (const key of ['name', 'type', 'typeMaxLength'] as const) {
      if (x[key] !== y[key]) return x[key] < y[key] ? -1 : 1;
    }
    if (x.required !== y.required) return Number(x.required) - Number(y.required);
    if (x.variadic !== y.variadic) return Number(x.variadic) - Number(y.variadic);
  }
  return 0;
}

async function load(sql: Sql, schema: string): Promise<Snapshot> {
  const rows = await introspect(sql, schema);
  const deps = viewKeyDependencies(rows.views, rows.primaryKeys, rows.foreignKeys, [schema]);
  const tables = rows.tables.map((t) => {
    if (!t.isView) return t;
    const primaryKey = deps
      .filter((d) => d.kind === 'pk' && d.viewSchema === schema && d.view === t.name)
      .flatMap((d) => d.columns.map((c) => c.viewColumns[0]));
    return { ...t, primaryKey };
  });
  const functions = new Map<string, DbFunction[]>();
  for (const fn of rows.functions) functions.set(fn.name, [...(functions.get(fn.name) ?? []), fn]);
  for (const list of functions.values()) list.sort(compareFunctions);
  const computedFields = new Map<string, Map<string, string>>();
  for (const fn of rows.rowFunctions) {
    if (fn.tableSchema !== schema) continue;
    const byName = computedFields.get(fn.table) ?? new Map<string, string>();
    byName.set(fn.name, fn.returnType);
    computedFields.set(fn.table, byName);
  }
  return {
    tables: new Map(tables.map((t) => [t.name, t])),
    relationships: buildRelationships(schema, tables, rows.foreignKeys, deps, rows.rowFunctions),
    functions,
    computedFields,
    roles: new Set(rows.roles),
    settings: rows.settings,
  };
}

export class SchemaCache {
  private snapshot: Snapshot | null = null;
  private loading: Promise<Snapshot> | null = null;

  constructor(
    private readonly sql: Sql,
    readonly schema: string,
  ) {}

  /** The current snapshot, loading it on first use. */
  async current(): Promise<Snapshot> {
    return this.snapshot ?? this.reload();
  }

  reload(): Promise<Snapshot> {
    if (this.loading) return this.loading;
    this.loading = load(this.sql, this.schema)
      .then((snapshot) => {
        this.snapshot = snapshot;
        return snapshot;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  /**
   * After a miss, asks the catalog (one cheap indexed query) whether the name
   * exists now, and reloads only then: a stream of requests for names that do
   * not exist never turns into a stream of full catalog scans.
   */
  private async reloadIfCatalogHas(query: Promise<{ found: boolean }[]>): Promise<Snapshot | null> {
    const [row] = await query;
    return row?.found ? this.reload() : null;
  }

  async table(name: string): Promise<Table | null> {
    const found = (await this.current()).tables.get(name);
    if (found) return found;
    const fresh = await this.reloadIfCatalogHas(this.sql<{ found: boolean }[]>`
      select exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                     where n.nspname = ${this.schema} and c.relname = ${name}) as found`);
    return fresh?.tables.get(name) ?? null;
  }

  /** The table as the catalog has it now if it gained one of `names` since the cache loaded. */
  async withColumns(table: Table, names: Iterable<string>): Promise<Table> {
    const missing = [...new Set(names)].filter(
      (n) => !table.columns.some((c) => c.name === n) && !this.computedField(table.name, n),
    );
    if (missing.length === 0) return table;
    const fresh = await this.reloadIfCatalogHas(this.sql<{ found: boolean }[]>`
      select exists (select 1 from pg_attribute a join pg_class c on c.oid = a.attrelid
                     join pg_namespace n on n.oid = c.relnamespace
                     where n.nspname = ${this.schema} and c.relname = ${table.name}
                       and a.attname = any(${missing}::text[]) and a.attnum > 0 and not a.attisdropped) as found`);
    return fresh?.tables.get(table.name) ?? table;
  }

  async functions(name: string): Promise<DbFunction[]> {
    const found = (await this.current()).functions.get(name);
    if (found) return found;
    const fresh = await this.reloadIfCatalogHas(this.sql<{ found: boolean }[]>`
      select exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                     where n.nspname = ${this.schema} and p.proname = ${name}) as found`);
    return fresh?.functions.get(name) ?? [];
  }

  /**
   * After PGRST200 for `origin` → `target`: reloads when the catalog has more
   * foreign keys between the two, a relation or function named `target`, than
   * the cache knows (a relationship created a moment ago should work at once).
   */
  async reloadIfRelationshipMissing(origin: string, target: string): Promise<boolean> {
    const snapshot = await this.current();
    const known = new Set(
      [...(snapshot.relationships.get(origin) ?? []), ...(snapshot.relationships.get(target) ?? [])].flatMap((r) =>
        r.kind === 'fk' &&
        r.cardinality.kind !== 'M2M' &&
        (r.foreignTable.name === target || r.foreignTable.name === origin)
          ? [r.cardinality.constraint]
          : [],
      ),
    ).size;
    const [row] = await this.sql<{ fks: number; relation: boolean; fn: boolean }[]>`
      select
        (select count(*)::int from pg_constraint con
          join pg_class a on a.oid = con.conrelid join pg_namespace an on an.oid = a.relnamespace
          join pg_class b on b.oid = con.confrelid join pg_namespace bn on bn.oid = b.relnamespace
          where con.contype = 'f' and an.nspname = ${this.schema} and bn.nspname = ${this.schema}
            and ((a.relname = ${origin} and b.relname = ${target}) or (a.relname = ${target} and b.relname = ${origin}))) as fks,
        exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = ${this.schema} and c.relname = ${target}) as relation,
        exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                where n.nspname = ${this.schema} and p.proname = ${target} and p.pronargs = 1) as fn`;
    const stale =
      (row?.fks ?? 0) > known ||
      (row?.relation === true && !snapshot.tables.has(target)) ||
      (row?.fn === true &&
        !(snapshot.relationships.get(origin) ?? []).some((r) => r.kind === 'computed' && r.function.name === target));
    if (stale) await this.reload();
    return stale;
  }

  /** Names `Prefer: timezone=` accepts, read on first use. */
  timezones(): Promise<Set<string>> {
    this.timezoneList ??= timezoneNames(this.sql).catch((err: unknown) => {
      this.timezoneList = null;
      throw err;
    });
    return this.timezoneList;
  }
  private timezoneList: Promise<Set<string>> | null = null;

  now(): Snapshot {
    if (!this.snapshot) throw new Error('schema cache used before it was loaded');
    return this.snapshot;
  }

  /** The column of an exposed relation, or undefined. */
  column(table: string, name: string): Column | undefined {
    return this.snapshot?.tables.get(table)?.columns.find((c) => c.name === name);
  }

  /** The return type of a computed field (a function of `table`'s row type), or undefined. */
  computedField(table: string, name: string): string | undefined {
    return this.snapshot?.computedFields.get(table)?.get(name);
  }

  async roleExists(role: string): Promise<boolean> {
    const [row] = await this.sql<{ found: boolean }[]>`
      select exists (select 1 from pg_roles where rolname = ${role}) as found`;
    return Boolean(row?.found);
  }

  async roleAllowed(role: string): Promise<boolean> {
    if ((await this.current()).roles.has(role)) return true;
    const fresh = await this.reloadIfCatalogHas(this.sql<{ found: boolean }[]>`
      select exists (select 1 from pg_roles r where r.rolname = ${role}
                     and pg_has_role('authenticator', r.oid, 'member')) as found`);
    return fresh?.roles.has(role) ?? false;
  }
}
