import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { StackError } from './errors';
import { connectionUrl, freePort, SUPERUSER } from './postgres';

/**
 * A throw-away cluster from an installed PostgreSQL (e.g. Debian's
 * /usr/lib/postgresql/15/bin), used by `npm test` to prove the migrations run on
 * another major version. Runs as the "postgres" OS user when we are root.
 */
export interface SystemPostgres {
  /** A superuser connection (SUPERUSER; trust authentication). */
  url: string;
  version: string;
  stop(): Promise<void>;
}

async function run(cmd: string, args: string[], options: { uid?: number; gid?: number }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

function osUser(name: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
  return { uid, gid };
}

export async function startSystemPostgres(binDir: string): Promise<SystemPostgres> {
  const initdb = path.join(binDir, 'initdb');
  await stat(initdb).catch(() => {
    throw new StackError(`No initdb in ${binDir}.`, "Install Debian's postgresql-15 package or set PG15_BIN.");
  });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-pg-'));
  await chmod(dir, 0o777);
  const dataDir = path.join(dir, 'data');
  const owner = osUser('postgres');
  const port = await freePort();
  // SUPERUSER as the bootstrap superuser, as in the embedded cluster: the
  // bootstrap then creates `postgres` as the non-superuser role migrations run as.
  await run(initdb, ['-D', dataDir, '-U', SUPERUSER, '-A', 'trust', '--encoding=UTF8', '--locale=C'], owner ?? {});

  const server: ChildProcess = spawn(
    path.join(binDir, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'wal_level=logical',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'wal_writer_delay=10ms',
      '-c',
      'max_connections=200',
    ],
    { ...(owner ?? {}), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  server.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));

  const url = connectionUrl(port, { role: SUPERUSER });
  const deadline = Date.now() + 20_000;
  let version = '';
  for (;;) {
    const probe = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      version = (await probe`show server_version`)[0].server_version;
      await probe.end();
      break;
    } catch {
      await probe.end({ timeout: 0 });
      if (Date.now() > deadline || server.exitCode !== null) {
        server.kill('SIGKILL');
        throw new StackError(`PostgreSQL in ${binDir} did not start:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    version,
    async stop() {
      server.kill('SIGINT');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
