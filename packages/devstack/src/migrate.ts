import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Sql, TransactionSql } from 'postgres';
import { glob } from 'tinyglobby';
import { findProjectRoot, PLATFORM_SQL, projectPaths } from './config';
import { StackError } from './errors';
import { PROJECT_ROLE } from './postgres';
import { splitStatements, type SqlStatement } from './sql-statements';
import { readSupabaseConfig, type SupabaseConfig } from './supabase-config';

export interface Migration {
  /** The CLI's version: the timestamp prefix of the file name. */
  version: string;
  name: string;
  file: string;
}

const MIGRATION_FILE = /^(\d+)_(.+)\.sql$/;
// One lock id for "someone is bootstrapping or migrating this database".
const MIGRATION_LOCK = 7_316_842_001;

/** A SQL file the database refused, with Postgres's message and SQLSTATE as the Supabase CLI prints them. */
export class MigrationError extends StackError {
  constructor(
    readonly file: string,
    /** 1-based line of the failing statement in the file, when Postgres reports a position. */
    readonly line: number | null,
    /** Postgres's SQLSTATE (e.g. 42501 for a missing privilege), or null for a non-database failure. */
    readonly sqlState: string | null,
    readonly postgresMessage: string,
    hint?: string,
  ) {
    super(
      `${path.basename(file)}${line ? `, line ${line}` : ''}: ERROR: ${postgresMessage}${sqlState ? ` (SQLSTATE ${sqlState})` : ''}`,
      hint,
    );
    this.name = 'MigrationError';
  }
}

/** Lists supabase/migrations in the order the Supabase CLI applies them. */
export async function listMigrations(dir = projectPaths(findProjectRoot()).migrationsDir): Promise<Migration[]> {
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => {
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

/** The 1-based line of character `offset` in `text`. */
const lineAt = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

function describe(err: unknown, file: string, text: string, statement: SqlStatement | null): MigrationError {
  const e = err as {
    message?: string;
    code?: string;
    position?: string;
    hint?: string;
    detail?: string;
    where?: string;
  };
  // Postgres's position is 1-based in the text it was sent: the statement, or the whole file.
  const position = Number(e.position);
  const at = Number.isInteger(position) && position > 0 ? position - 1 : null;
  const line = statement
    ? at !== null
      ? lineAt(text, statement.offset + at)
      : statement.line
    : at !== null
      ? lineAt(text, at)
      : null;
  // Context from the dev stack's own supautils emulation would only confuse.
  const where = e.where && !e.where.includes('devstack_supautils') ? `Context: ${e.where}` : undefined;
  const shown = statement?.text.trim().split('\n').slice(0, 3).join('\n');
  const notes = [e.detail, e.hint, where, shown && `At statement: ${shown}`].filter(Boolean).join('\n  ');
  const sqlState = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : null;
  return new MigrationError(file, line, sqlState, e.message ?? String(err), notes || undefined);
}

/** Runs a SQL file in one piece (the platform SQL: quick, and its failures are the dev stack's own bugs). */
async function runWhole(tx: TransactionSql, file: string, text: string): Promise<void> {
  await tx.unsafe(text).catch((err: unknown) => {
    throw describe(err, file, text, null);
  });
}

/**
 * Runs a migration or seed statement by statement, as the Supabase CLI does, so
 * a failure names its statement's line. A file that does not parse runs whole:
 * Postgres then reports the syntax error with its position.
 */
async function runFile(tx: TransactionSql, file: string, text: string, majorVersion: number): Promise<void> {
  const statements = await splitStatements(text, majorVersion);
  if (!statements) return runWhole(tx, file, text);
  for (const statement of statements) {
    await tx.unsafe(statement.text).catch((err: unknown) => {
      throw describe(err, file, text, statement);
    });
  }
}

/**
 * Creates Supabase's platform objects (roles, auth, realtime, …) and gives them
 * Supabase's owners and grants. Needs a superuser connection; safe to run repeatedly.
 */
export async function bootstrap(sql: Sql): Promise<void> {
  const [me] = await sql<{ name: string; superuser: boolean }[]>`
    select current_user as name, rolsuper as superuser from pg_roles where rolname = current_user`;
  if (!me?.superuser) {
    throw new StackError(
      `The dev stack bootstraps the database as a superuser, and it is connected as "${me?.name ?? '?'}", which is not one.`,
      'Give DATABASE_URL a superuser (on a server you initialised: the role initdb created). Hosted Supabase and `supabase start` databases are already bootstrapped: point the app at them instead of running the dev stack.',
    );
  }
  const files = await Promise.all(PLATFORM_SQL.map(async (file) => ({ file, text: await fs.readFile(file, 'utf8') })));
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    for (const { file, text } of files) await runWhole(tx, file, text);
  });
}

export interface MigrateOptions {
  /** The project folder (holding supabase/); default: found as the CLI finds it. */
  projectDir?: string;
  /** The project's config.toml, if already read; default: read from projectDir. */
  config?: SupabaseConfig;
  /** Run the seed files when the database has no migration or seed recorded yet. */
  seedIfFresh?: boolean;
}

export interface MigrateResult {
  applied: Migration[];
  /** True when the seed ran (a fresh database and [db.seed] enabled). */
  seeded: boolean;
  /** The seed files run, relative to the project folder (as the CLI records them). */
  seedFiles: string[];
  /** The role migrations and seed ran as; a superuser only in a cluster made by an older dev stack. */
  role: { name: string; superuser: boolean };
  /** Things the CLI would warn about too (a seed pattern matching no file). */
  warnings: string[];
}

/** [db.seed] sql_paths as the CLI globs them: relative to supabase/, sorted per pattern, first match wins. */
async function seedFilesOf(root: string, config: SupabaseConfig): Promise<{ files: string[]; warnings: string[] }> {
  const { supabaseDir } = projectPaths(root);
  const files: string[] = [];
  const warnings: string[] = [];
  for (const pattern of config.db.seed.sqlPaths) {
    const absolute = path.isAbsolute(pattern) ? pattern : path.join(supabaseDir, pattern);
    const matches = (await glob(path.relative(root, absolute).split(path.sep).join('/'), { cwd: root })).sort();
    if (matches.length === 0) warnings.push(`no files matched pattern: ${path.relative(root, absolute)}`);
    for (const match of matches) if (!files.includes(match)) files.push(match);
  }
  return { files, warnings };
}

/**
 * Applies the migrations not yet recorded in supabase_migrations.schema_migrations
 * as `postgres` (not a superuser, as on Supabase), recording them as the Supabase
 * CLI does so that `supabase db push --db-url …` sees them as applied; on a
 * fresh database, then runs the seed files (recorded in seed_files with their
 * sha256, as the CLI does). All of it is one transaction: a failing migration or
 * seed leaves the database as it was and throws a MigrationError.
 */
export async function migrate(sql: Sql, options: MigrateOptions = {}): Promise<MigrateResult> {
  const root = options.projectDir ?? findProjectRoot();
  const config = options.config ?? readSupabaseConfig(root);
  const all = config.db.migrationsEnabled ? await listMigrations(projectPaths(root).migrationsDir) : [];
  const seeds =
    options.seedIfFresh && config.db.seed.enabled ? await seedFilesOf(root, config) : { files: [], warnings: [] };
  const seedTexts = await Promise.all(
    seeds.files.map(async (file) => ({ file, text: await fs.readFile(path.join(root, file), 'utf8') })),
  );
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    const [who] = await tx<{ current: string; project_superuser: boolean | null; version: number }[]>`
      select current_user as current, (select rolsuper from pg_roles where rolname = ${PROJECT_ROLE}) as project_superuser,
             current_setting('server_version_num')::int / 10000 as version`;
    if (who.project_superuser === null) {
      throw new StackError(`The database has no "${PROJECT_ROLE}" role.`, 'Run the bootstrap first (startStack does).');
    }
    // As Supabase runs them: as postgres, whatever this connection is.
    if (who.current !== PROJECT_ROLE) await tx.unsafe(`set local session authorization ${PROJECT_ROLE}`);
    const done = new Set(
      (await tx<{ version: string }[]>`select version from supabase_migrations.schema_migrations`).map(
        (r) => r.version,
      ),
    );
    const [{ seeded: seedsRecorded }] = await tx<{ seeded: number }[]>`
      select count(*)::int as seeded from supabase_migrations.seed_files`;
    const applied: Migration[] = [];
    const warnings = [...seeds.warnings];
    const latestDone = [...done].sort().at(-1);
    for (const migration of all) {
      if (done.has(migration.version)) continue;
      // `supabase db push` refuses such a file without --include-all, and a fresh
      // database (stack:reset, a teammate, CI) runs it before the later ones.
      if (latestDone !== undefined && migration.version < latestDone) {
        warnings.push(
          `${path.basename(migration.file)} sorts before ${latestDone}, which this database already applied: ` +
            `it is applied now, but a fresh database runs it earlier, and "supabase db push" refuses it ` +
            `without --include-all. Rename it to sort after the latest migration.`,
        );
      }
      const text = await fs.readFile(migration.file, 'utf8');
      await runFile(tx, migration.file, text, who.version);
      await tx`insert into supabase_migrations.schema_migrations (version, name, statements)
               values (${migration.version}, ${migration.name}, ${[text]})`;
      applied.push(migration);
    }
    const fresh = done.size === 0 && seedsRecorded === 0;
    const seeded = fresh && seedTexts.length > 0;
    if (seeded) {
      for (const { file, text } of seedTexts) {
        await runFile(tx, path.join(root, file), text, who.version);
        const hash = createHash('sha256').update(text).digest('hex');
        await tx`insert into supabase_migrations.seed_files (path, hash) values (${file}, ${hash})
                 on conflict (path) do update set hash = excluded.hash`;
      }
    }
    return {
      applied,
      seeded,
      seedFiles: seeded ? seeds.files : [],
      role: { name: PROJECT_ROLE, superuser: who.project_superuser },
      warnings,
    };
  });
}

/** Bootstrap, then pending migrations, then the seed if the database was fresh. */
export async function prepareDatabase(
  sql: Sql,
  options: Omit<MigrateOptions, 'seedIfFresh'> = {},
): Promise<MigrateResult> {
  await bootstrap(sql);
  return migrate(sql, { ...options, seedIfFresh: true });
}
