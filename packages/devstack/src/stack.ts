import postgres, { type Sql } from 'postgres';
import { paths } from './config';
import { prepareDatabase, type MigrateResult } from './migrate';
import { startEmbeddedPostgres, type RunningPostgres } from './postgres';

export interface StackOptions {
  /** Use this Postgres (15+) instead of starting the embedded one. */
  databaseUrl?: string;
  dbPort: number;
  dataDir?: string;
  /** Delete the embedded cluster on stop (tests). */
  ephemeral?: boolean;
}

export interface RunningStack {
  dbUrl: string;
  /** True when this start created the embedded cluster. */
  createdCluster: boolean;
  migrations: MigrateResult;
  /** A small superuser pool for the stack's own work. */
  sql: Sql;
  stop(): Promise<void>;
}

/** Starts the database part of the dev stack and brings its schema up to date. */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  let database: RunningPostgres | null = null;
  let dbUrl = options.databaseUrl;
  if (!dbUrl) {
    database = await startEmbeddedPostgres({
      dataDir: options.dataDir ?? paths.defaultDataDir,
      port: options.dbPort,
      ephemeral: options.ephemeral,
    });
    dbUrl = database.url;
  }
  const sql = postgres(dbUrl, { max: 4, onnotice: () => {} });
  try {
    const migrations = await prepareDatabase(sql);
    return {
      dbUrl,
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
