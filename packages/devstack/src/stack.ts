import postgres, { type Sql } from 'postgres';
import { findProjectRoot, projectPaths } from './config';
import { prepareDatabase, type MigrateResult } from './migrate';
import { DB_PASSWORD, PROJECT_ROLE, startEmbeddedPostgres, type RunningPostgres } from './postgres';
import { readSupabaseConfig, type SupabaseConfig } from './supabase-config';

export interface StackOptions {
  /** Use this Postgres (15+) instead of starting the embedded one: a superuser connection string. */
  databaseUrl?: string;
  dbPort: number;
  dataDir?: string;
  /** Delete the embedded cluster on stop (tests). */
  ephemeral?: boolean;
  /** The project folder (holding supabase/); default: found as the Supabase CLI finds it. */
  projectDir?: string;
  /** The project's config.toml, if already read; default: read from projectDir. */
  config?: SupabaseConfig;
}

export interface RunningStack {
  /** A superuser connection string: for the stack's own services and for test set-ups. */
  dbUrl: string;
  /**
   * The project's `postgres` role, as `supabase status` prints the DB URL: what
   * apps, psql and the Supabase CLI use. Not a superuser, as on Supabase, except
   * in a cluster made by an older dev stack (then migrations.role.superuser).
   */
  postgresUrl: string;
  /** True when this start created the embedded cluster. */
  createdCluster: boolean;
  migrations: MigrateResult;
  /** A small superuser pool for the stack's own work. */
  sql: Sql;
  stop(): Promise<void>;
}

/** The same server and database as `url`, as PROJECT_ROLE with the local password. */
function asProjectRole(url: string): string {
  const parsed = new URL(url);
  if (decodeURIComponent(parsed.username) === PROJECT_ROLE) return url;
  parsed.username = PROJECT_ROLE;
  parsed.password = DB_PASSWORD;
  return parsed.toString();
}

/**
 * Starts the database part of the dev stack and brings its schema up to date:
 * the platform bootstrap as a superuser, then the project's migrations and (on a
 * fresh database) its seed as `postgres`.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const root = options.projectDir ?? findProjectRoot();
  const config = options.config ?? readSupabaseConfig(root);
  let database: RunningPostgres | null = null;
  let dbUrl = options.databaseUrl;
  if (!dbUrl) {
    database = await startEmbeddedPostgres({
      dataDir: options.dataDir ?? projectPaths(root).defaultDataDir,
      port: options.dbPort,
      ephemeral: options.ephemeral,
    });
    dbUrl = database.url;
  }
  const sql = postgres(dbUrl, { max: 4, onnotice: () => {} });
  try {
    const migrations = await prepareDatabase(sql, { projectDir: root, config });
    return {
      dbUrl,
      postgresUrl: asProjectRole(dbUrl),
      createdCluster: database?.created ?? false,
      migrations,
      sql,
      async stop() {
        await sql.end({ timeout: 2 });
        await database?.stop();
      },
    };
  } catch (err) {
    await sql.end({ timeout: 1 });
    await database?.stop();
    throw err;
  }
}
