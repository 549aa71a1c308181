// The schema cache: what PostgREST calls its view of the exposed schema. Every
// identifier in a request is looked up here before it reaches SQL. It reloads
// on `NOTIFY pgrst, 'reload schema'` and, once, when a lookup misses (a table
// created a moment ago should not need a restart).
import type { Sql } from 'postgres';
import {
  introspect,
  type CatalogSnapshot,
  type Column,
  type DbFunction,
  type ForeignKey,
  type Table,
} from './introspect';

export class SchemaCache {
  private snapshot: CatalogSnapshot | null = null;
  private loading: Promise<CatalogSnapshot> | null = null;
  private tablesByName = new Map<string, Table>();

  constructor(
    private readonly sql: Sql,
    readonly schema: string,
  ) {}

  /** The current snapshot, loading it on first use. */
  async current(): Promise<CatalogSnapshot> {
    return this.snapshot ?? this.reload();
  }

  reload(): Promise<CatalogSnapshot> {
    if (this.loading) return this.loading;
    this.loading = introspect(this.sql, this.schema)
      .then((snapshot) => {
        this.snapshot = snapshot;
        this.tablesByName = new Map(snapshot.tables.map((t) => [t.name, t]));
        return snapshot;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  /**
   * After a miss, asks the catalog (one cheap indexed query) whether the name
   * exists now, and reloads only then: a table created a moment ago works
   * without a restart, and a stream of requests for names that do not exist
   * never turns into a stream of full catalog scans.
   */
  private async reloadIfCatalogHas(check: () => Promise<boolean>): Promise<boolean> {
    if (!(await check())) return false;
    await this.reload();
    return true;
  }

  private async exists(query: Promise<{ found: boolean }[]>): Promise<boolean> {
    const [row] = await query;
    return Boolean(row?.found);
  }

  async table(name: string): Promise<Table | null> {
    await this.current();
    const found = this.tablesByName.get(name);
    if (found) return found;
    const appeared = await this.reloadIfCatalogHas(() =>
      this.exists(this.sql<{ found: boolean }[]>`
        select exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                       where n.nspname = ${this.schema} and c.relname = ${name}) as found`),
    );
    return appeared ? (this.tablesByName.get(name) ?? null) : null;
  }

  /** Looks up columns; reloads once if the catalog has one the cache lacks. Returns the names still missing. */
  async ensureColumns(table: Table, names: Iterable<string>): Promise<{ table: Table; missing: string[] }> {
    const wanted = [...new Set(names)];
    const missingIn = (t: Table) => wanted.filter((n) => !t.columns.some((c) => c.name === n));
    const missing = missingIn(table);
    if (missing.length === 0) return { table, missing };
    const appeared = await this.reloadIfCatalogHas(() =>
      this.exists(this.sql<{ found: boolean }[]>`
        select exists (select 1 from pg_attribute a join pg_class c on c.oid = a.attrelid
                       join pg_namespace n on n.oid = c.relnamespace
                       where n.nspname = ${this.schema} and c.relname = ${table.name}
                         and a.attname = any(${missing}::text[]) and a.attnum > 0 and not a.attisdropped) as found`),
    );
    const fresh = appeared ? this.tablesByName.get(table.name) : undefined;
    return fresh ? { table: fresh, missing: missingIn(fresh) } : { table, missing };
  }

  async functions(name: string): Promise<DbFunction[]> {
    const snapshot = await this.current();
    const found = snapshot.functions.filter((f) => f.name === name);
    if (found.length > 0) return found;
    const appeared = await this.reloadIfCatalogHas(() =>
      this.exists(this.sql<{ found: boolean }[]>`
        select exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                       where n.nspname = ${this.schema} and p.proname = ${name}) as found`),
    );
    return appeared ? (this.snapshot?.functions ?? []).filter((f) => f.name === name) : [];
  }

  /** Reloads if the catalog has more foreign keys between two tables than the cache knows. */
  async refreshRelationships(a: string, b: string): Promise<boolean> {
    const known = this.foreignKeys().filter(
      (fk) => (fk.table === a && fk.refTable === b) || (fk.table === b && fk.refTable === a),
    ).length;
    return this.reloadIfCatalogHas(async () => {
      const [row] = await this.sql<{ count: number }[]>`
        select count(*)::int as count from pg_constraint con
        join pg_class cl on cl.oid = con.conrelid join pg_namespace n on n.oid = cl.relnamespace
        join pg_class fcl on fcl.oid = con.confrelid join pg_namespace fn on fn.oid = fcl.relnamespace
        where con.contype = 'f' and n.nspname = ${this.schema} and fn.nspname = ${this.schema}
          and ((cl.relname = ${a} and fcl.relname = ${b}) or (cl.relname = ${b} and fcl.relname = ${a}))`;
      return (row?.count ?? 0) > known;
    });
  }

  tableNow(name: string): Table | null {
    return this.tablesByName.get(name) ?? null;
  }

  foreignKeys(): ForeignKey[] {
    return this.snapshot?.foreignKeys ?? [];
  }

  tableNames(): string[] {
    return [...this.tablesByName.keys()];
  }

  functionNames(): string[] {
    return [...new Set((this.snapshot?.functions ?? []).map((f) => f.name))];
  }

  async roleExists(role: string): Promise<boolean> {
    return this.exists(this.sql<{ found: boolean }[]>`
      select exists (select 1 from pg_roles where rolname = ${role}) as found`);
  }

  async roleAllowed(role: string): Promise<boolean> {
    const snapshot = await this.current();
    if (snapshot.roles.includes(role)) return true;
    const appeared = await this.reloadIfCatalogHas(() =>
      this.exists(this.sql<{ found: boolean }[]>`
        select exists (select 1 from pg_roles r where r.rolname = ${role}
                       and pg_has_role('authenticator', r.oid, 'member')) as found`),
    );
    return appeared && (this.snapshot?.roles.includes(role) ?? false);
  }
}

export function findColumn(table: Table, name: string): Column | undefined {
  return table.columns.find((c) => c.name === name);
}

/** The closest name by edit distance, if it is close enough to be a likely typo. */
export function closestName(name: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestScore = 0;
  for (const candidate of candidates) {
    const distance = levenshtein(name.toLowerCase(), candidate.toLowerCase());
    const score = 1 - distance / Math.max(name.length, candidate.length);
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return bestScore >= 0.6 ? best : null;
}

function levenshtein(a: string, b: string): number {
  if (a.length > 100 || b.length > 100) return Math.max(a.length, b.length);
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}
