// A bad Supabase key stops the app before it builds or serves anything, and
// stops the scripts before they connect, each time naming the variable and the
// fix (next.config.ts and lib/supabase/keys.ts). These fail at configuration
// load, so no build happens (a few seconds each).
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@switchboard/devstack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const next = path.join(root, 'node_modules', '.bin', 'next');
const SECRET = 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';
const SERVICE_ROLE =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU';

let distDir: string;
beforeAll(async () => {
  distDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-env-keys-'));
});
afterAll(() => rm(distDir, { recursive: true, force: true }));

function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: root,
      // No .env.local of the developer's may decide the outcome: every Supabase variable is pinned here.
      env: {
        ...process.env,
        NEXT_TELEMETRY_DISABLED: '1',
        NEXT_DIST_DIR: path.join(distDir, '.next'),
        NEXT_PUBLIC_SUPABASE_URL: 'http://127.0.0.1:1',
        NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: '',
        NEXT_PUBLIC_SUPABASE_ANON_KEY: '',
        SUPABASE_SECRET_KEY: '',
        SUPABASE_SERVICE_ROLE_KEY: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('a bad Supabase key stops the app', () => {
  it(
    'next build refuses a secret key in NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY, and builds nothing',
    { timeout: 90_000 },
    async () => {
      const { code, output } = await run(next, ['build'], { NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: SECRET });
      expect(code).not.toBe(0);
      expect(output).toContain(
        'NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY holds a secret key (sb_secret_…), and every NEXT_PUBLIC_ variable is sent to the browser. Put the publishable key (sb_publishable_…) there and the secret key in SUPABASE_SECRET_KEY (server only)',
      );
      expect(await readdir(distDir)).not.toContain('.next');
    },
  );

  it(
    'next build refuses a malformed legacy anon key, and the service_role key under any NEXT_PUBLIC_ name',
    { timeout: 90_000 },
    async () => {
      const { code, output } = await run(next, ['build'], {
        NEXT_PUBLIC_SUPABASE_ANON_KEY: 'paste-your-anon-key-here',
        NEXT_PUBLIC_SUPABASE_SERVICE_KEY: SERVICE_ROLE,
      });
      expect(code).not.toBe(0);
      expect(output).toContain('NEXT_PUBLIC_SUPABASE_ANON_KEY is not a Supabase API key (expected sb_publishable_…');
      expect(output).toContain('NEXT_PUBLIC_SUPABASE_SERVICE_KEY holds the legacy service_role key');
    },
  );

  it('next start refuses a publishable key where the secret key belongs', { timeout: 90_000 }, async () => {
    const { code, output } = await run(next, ['start', '-p', String(await freePort()), '-H', '127.0.0.1'], {
      SUPABASE_SECRET_KEY: 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH',
    });
    expect(code).not.toBe(0);
    expect(output).toContain('SUPABASE_SECRET_KEY holds the publishable key, which has no elevated access');
  });

  it('npm run simulate refuses a malformed key before connecting', { timeout: 60_000 }, async () => {
    const { code, output } = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/simulate.ts', '--duration', '1'],
      {
        NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: 'sb_publishable_',
      },
    );
    expect(code).toBe(1);
    expect(output).toContain('NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY is not a Supabase API key');
    expect(output).not.toContain('could not sign in');
  });
});
