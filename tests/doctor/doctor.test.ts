// npm run doctor against the dev stack (a database and API of this file's
// own): a healthy target passes with exit code 0, and each fault the doctor
// looks for, injected one at a time, fails its check with the fix (exit 1).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { SignJWT } from 'jose';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runDoctor, type DoctorOptions } from '../../scripts/doctor';
import type { CheckResult } from '../../scripts/doctor/report';
import { startPrivateStack, type PrivateStack } from '../contract/private-stack';

const root = path.resolve(import.meta.dirname, '../..');
let stack: PrivateStack;
let sql: Sql;
/** The project's `postgres` role on this file's database: not a superuser, as on Supabase. */
let postgresUrl: string;

beforeAll(async () => {
  stack = await startPrivateStack('doctor');
  sql = stack.sql;
  const url = new URL(inject('stack').postgresUrl);
  url.pathname = new URL(stack.dbUrl).pathname;
  postgresUrl = url.toString();
  // The seed's changes are in the outbox; no relay runs here.
  await sql`update realtime_outbox set delivered_at = now() where delivered_at is null`;
}, 60_000);
afterAll(() => stack?.stop());

const options = (overrides: Partial<DoctorOptions> = {}): DoctorOptions => ({
  dbUrl: postgresUrl,
  keys: [],
  provider: 'supabase',
  schemas: ['public', 'graphql_public'],
  maxBacklogAgeSeconds: 60,
  migrationsDir: path.join(root, 'supabase', 'migrations'),
  ...overrides,
});

const byId = (results: CheckResult[], id: string) => {
  const found = results.find((r) => r.id === id);
  if (!found) throw new Error(`no ${id} check in ${results.map((r) => r.id).join(', ')}`);
  return found;
};
const failed = (results: CheckResult[]) => results.filter((r) => r.status === 'fail').map((r) => r.id);

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/doctor.ts', ...args], {
    cwd: root,
    env: { ...process.env, REALTIME_PROVIDER: '', NEXT_PUBLIC_REALTIME_PROVIDER: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
}

/** Runs `inject`, then the doctor, then `restore`, whatever happens. */
async function withFault<T>(inject: () => Promise<unknown>, restore: () => Promise<unknown>, run: () => Promise<T>) {
  await inject();
  try {
    return await run();
  } finally {
    await restore();
  }
}

describe('npm run doctor', () => {
  it('passes a healthy dev stack with every kind of key, as the non-superuser postgres role, printing each check as it goes (exit 0)', async () => {
    const { keys } = stack.api;
    const run = await runCli([
      '--db-url',
      postgresUrl,
      '--url',
      stack.api.url,
      ...[keys.publishableKey, keys.secretKey, keys.anonKey, keys.serviceRoleKey].flatMap((k) => ['--key', k]),
    ]);
    // supabase-js warns on import that Node 20 is deprecated; nothing else may go to stderr.
    expect(
      run.stderr.split('\n').filter((l) => l.trim() && !l.includes('Node.js 20 and below are deprecated')),
    ).toEqual([]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Switchboard doctor: postgresql:\/\/postgres:\*\*\*@.*\(provider supabase\)$/);
    for (const title of [
      '✔ Database',
      '✔ Migrations applied: all',
      '✔ Row level security on every table of public, graphql_public',
      '✔ Realtime publication (supabase_realtime): holds public.shipments',
      '✔ realtime.messages partitions for today and tomorrow (UTC)',
      '– Relay outbox and dead letters (provider: supabase): not used with Supabase Realtime',
      '✔ REST with the publishable key',
      '✔ Auth with the secret key',
      '✔ Realtime with the legacy anon key',
      '✔ Realtime with the legacy service_role key',
    ])
      expect(run.stdout).toContain(title);
    expect(lines.at(-1)).toMatch(/^\d+ checks: \d+ passed, 0 warnings, 0 failed, 1 skipped$/);
  });

  it('a migration the database has not recorded', async () => {
    const results = await withFault(
      () => sql`delete from supabase_migrations.schema_migrations where version = '20261205000100'`,
      () =>
        sql`insert into supabase_migrations.schema_migrations (version, name, statements)
            values ('20261205000100', 'realtime_outbox_dead_letters', '{}')`,
      () => runDoctor(options()),
    );
    expect(failed(results)).toEqual(['migrations']);
    expect(byId(results, 'migrations').detail).toContain('20261205000100_realtime_outbox_dead_letters');
    expect(byId(results, 'migrations').fix).toContain('npx supabase db push');
  });

  it('a table of an exposed schema with row level security off (and the CLI exits 1)', async () => {
    await withFault(
      () => sql`alter table public.depots disable row level security`,
      () => sql`alter table public.depots enable row level security`,
      async () => {
        const results = await runDoctor(options());
        expect(failed(results)).toEqual(['rls']);
        expect(byId(results, 'rls').detail).toContain('public.depots');
        expect(byId(results, 'rls').fix).toContain('alter table public.depots enable row level security;');
        const cli = await runCli(['--db-url', postgresUrl]);
        expect(cli.code).toBe(1);
        expect(cli.stdout).toContain('✘ Row level security on every table of public, graphql_public');
        expect(cli.stdout).toContain('fix: alter table public.depots enable row level security;');
        expect(cli.stdout).toMatch(/1 failed/);
      },
    );
  });

  it('a table the migrations publish missing from supabase_realtime, or without its replica identity', async () => {
    const missing = await withFault(
      () => sql`alter publication supabase_realtime drop table public.shipments`,
      () => sql`alter publication supabase_realtime add table public.shipments`,
      () => runDoctor(options()),
    );
    expect(failed(missing)).toEqual(['publication']);
    expect(byId(missing, 'publication').fix).toBe('alter publication supabase_realtime add table public.shipments;');
    const identity = await withFault(
      () => sql`alter table public.shipments replica identity default`,
      () => sql`alter table public.shipments replica identity full`,
      () => runDoctor(options()),
    );
    expect(failed(identity)).toEqual(['publication']);
    expect(byId(identity, 'publication').fix).toBe('alter table public.shipments replica identity full;');
  });

  it("today's realtime.messages partition missing", async () => {
    const [{ today, tomorrow }] = await sql<{ today: string; tomorrow: string }[]>`
      select to_char((now() at time zone 'utc')::date, 'YYYY_MM_DD') as today,
             to_char((now() at time zone 'utc')::date + 1, 'YYYY-MM-DD') as tomorrow`;
    const day = today.replaceAll('_', '-');
    const results = await withFault(
      () => sql.unsafe(`alter table realtime.messages detach partition realtime.messages_${today}`),
      () =>
        sql.unsafe(
          `alter table realtime.messages attach partition realtime.messages_${today} for values from ('${day}') to ('${tomorrow}')`,
        ),
      () => runDoctor(options()),
    );
    expect(failed(results)).toEqual(['partitions']);
    expect(byId(results, 'partitions').detail).toContain(`no partition for ${day}`);
    expect(byId(results, 'partitions').fix).toContain(
      `create table realtime.messages_${today} partition of realtime.messages for values from ('${day}') to ('${tomorrow}');`,
    );
  });

  it('keys the project does not have: an unknown publishable key fails REST, Auth and Realtime; a forged legacy key fails REST and Realtime', async () => {
    const unknown = 'sb_publishable_' + 'x'.repeat(28);
    const forged = await new SignJWT({ role: 'anon', iss: 'supabase-demo' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('not-the-secret-of-this-project-at-all-0000'));
    const results = await runDoctor(options({ url: stack.api.url, keys: [unknown, forged] }));
    expect(failed(results)).toEqual(
      expect.arrayContaining(['key:rest:1', 'key:auth:1', 'key:realtime:1', 'key:rest:2', 'key:realtime:2']),
    );
    expect(byId(results, 'key:rest:1').detail).toContain('401');
    expect(byId(results, 'key:auth:1').detail).toContain('Invalid API key');
    expect(byId(results, 'key:rest:1').fix).toContain('Project Settings → API Keys');
    expect(failed(results).filter((id) => !id.startsWith('key:'))).toEqual([]);
  });

  it('with Ably or Pusher: a backlog no relay drains, and dead letters, each fail with the fix; with Supabase they are not used', async () => {
    const [{ id: stuck }] = await sql<{ id: string }[]>`
      insert into realtime_outbox (channel, event, payload, created_at)
      values ('shipments:doctor-test', 'changed', '{}', now() - interval '10 minutes') returning id::text`;
    try {
      const backlog = await runDoctor(options({ provider: 'pusher' }));
      expect(failed(backlog)).toEqual(['outbox']);
      expect(byId(backlog, 'outbox').detail).toMatch(/oldest waiting message is \d+ s old/);
      expect(byId(backlog, 'outbox').fix).toContain('No relay is running against this database');
      const supabase = await runDoctor(options({ provider: 'supabase' }));
      expect(byId(supabase, 'outbox').status).toBe('skip');
    } finally {
      await sql`delete from realtime_outbox where id = ${stuck}`;
    }
    expect(byId(await runDoctor(options({ provider: 'ably' })), 'outbox').status).toBe('pass');

    await withFault(
      () => sql`
        insert into realtime_outbox_dead_letters (id, channel, event, payload, seq, created_at, attempts, reason, permanent)
        values (-1, 'shipments:doctor-test', 'changed', '{}', 7, now(), 1, 'too large (HTTP 413): Payload too large', true)`,
      () => sql`delete from realtime_outbox_dead_letters where id = -1`,
      async () => {
        const results = await runDoctor(options({ provider: 'ably' }));
        expect(failed(results)).toEqual(['outbox']);
        expect(byId(results, 'outbox').detail).toContain('1 dead letter(s): 1 on shipments:doctor-test (too large');
        expect(byId(results, 'outbox').fix).toContain('npm run relay -- --retry-dead');
      },
    );
  });

  it('refuses incomplete arguments with the usage (exit 2)', async () => {
    const noDb = await runCli(['--url', stack.api.url]);
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toContain('--db-url (a postgres:// URL) is required');
    expect(noDb.stderr).toContain('--url needs at least one --key');
    expect(noDb.stderr).toContain('Usage: npm run doctor');
  });
});
