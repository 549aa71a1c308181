import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Sql } from 'postgres';
import { paths } from './config';
import { StackError } from './errors';

export interface Migration {
  /** The CLI's version: the timestamp prefix of the file name. */
  version: string;
  name: string;
  file: string;
}

const MIGRATION_FILE = /^(\d+)_(.+)\.sql$/;
// One lock id for "someone is bootstrapping or migrating this database".
const MIGRATION_LOCK = 7_316_842_001;

/** Lists supabase/migrations in the order the Supabase CLI applies them. */
export async function listMigrations(dir = paths.migrationsDir): Promise<Migration[]> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return files.map((file) => {
    const match = MIGRATION_FILE.exec(file);
    if (!match) {
      throw new StackError(
        `Migration file name "${file}" is not <timestamp>_<name>.sql.`,
        'Create migrations with "npx supabase migration new <name>".',
      );
    }
    return { version: match[1], name: match[2], file: path.join(dir, file) };
  });
}

function describe(err: unknown, file: string): StackError {
  const e = err as { message?: string; position?: string; hint?: string };
  return new StackError(`${path.basename(file)} failed: ${e.message ?? String(err)}`, e.hint);
}

/** Creates Supabase's platform objects (roles, auth, realtime, …). Safe to run repeatedly. */
export async function bootstrap(sql: Sql): Promise<void> {
  const text = await fs.readFile(paths.bootstrapSql, 'utf8');
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx.unsafe(text).catch((err) => {
      throw describe(err, paths.bootstrapSql);
    });
  });
}

export interface MigrateResult {
  applied: Migration[];
  /** True when seed.sql ran (the database had no migration recorded before). */
  seeded: boolean;
}

/**
 * Applies the migrations not yet recorded in supabase_migrations.schema_migrations,
 * recording them as the Supabase CLI does so that `supabase db push --db-url …`
 * sees them as applied; on a fresh database, then runs seed.sql. All of it is one
 * transaction: a failing migration or seed leaves the database as it was.
 */
export async function migrate(sql: Sql, options: { seedIfFresh?: boolean } = {}): Promise<MigrateResult> {
  const all = await listMigrations();
  const seedText = options.seedIfFresh ? await fs.readFile(paths.seedSql, 'utf8') : null;
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    const done = new Set(
      (await tx<{ version: string }[]>`select version from supabase_migrations.schema_migrations`).map(
        (r) => r.version,
      ),
    );
    const applied: Migration[] = [];
    for (const migration of all) {
      if (done.has(migration.version)) continue;
      const text = await fs.readFile(migration.file, 'utf8');
      try {
        await tx.unsafe(text);
        await tx`insert into supabase_migrations.schema_migrations (version, name, statements)
                 values (${migration.version}, ${migration.name}, ${[text]})`;
      } catch (err) {
        throw describe(err, migration.file);
      }
      applied.push(migration);
    }
    const seeded = seedText !== null && done.size === 0 && applied.length > 0;
    if (seeded) {
      await tx.unsafe(seedText).catch((err) => {
        throw describe(err, paths.seedSql);
      });
    }
    return { applied, seeded };
  });
}

/** Bootstrap, then pending migrations, then the seed if the database was fresh. */
export async function prepareDatabase(sql: Sql): Promise<MigrateResult> {
  await bootstrap(sql);
  return migrate(sql, { seedIfFresh: true });
}
