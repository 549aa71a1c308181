// A production build of the app, served on a free port: what the browser
// tests and `npm run screenshots` run against. Each caller builds into a
// folder of its own (NEXT_DIST_DIR), so a running `next dev` is never touched.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '@switchboard/devstack';
import { withoutSupabaseNodeNotice } from '../../scripts/node-support.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const nextBin = path.join(root, 'node_modules', '.bin', 'next');

export interface RunningApp {
  url: string;
  server: ChildProcess;
  stop(): void;
}

/** Runs a command to completion; rejects with the end of its output when it fails. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${label} failed (exit ${code}):\n${output.slice(-4000)}`)),
    );
  });
}

async function waitForHttp(url: string, server: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`next start exited with ${server.exitCode}`);
    try {
      const res = await fetch(url, { redirect: 'manual' });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * `next build` into `distDir` with `env` (NEXT_PUBLIC_* values are inlined
 * then), then `next start` on a free port of 127.0.0.1; resolves once /login
 * answers. `log` gets progress lines. The server's stderr stays visible.
 */
export async function buildAndStartApp(options: {
  name: string;
  distDir: string;
  env: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}): Promise<RunningApp> {
  const { name, distDir, log = () => {} } = options;
  const env: NodeJS.ProcessEnv = { ...options.env, NEXT_TELEMETRY_DISABLED: '1', NEXT_DIST_DIR: distDir };
  const started = Date.now();
  log(`building the app for ${name} (next build)…`);
  await run(nextBin, ['build'], env, `next build (${name})`);
  log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
  const port = await freePort();
  const server = spawn(nextBin, ['start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // supabase-js's Node notice is said once by npm test / the script, not per server.
  server.stderr?.pipe(withoutSupabaseNodeNotice()).pipe(process.stderr);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/login`, server);
  } catch (err) {
    server.kill('SIGTERM');
    throw err;
  }
  return { url, server, stop: () => void server.kill('SIGTERM') };
}

/**
 * `next dev` into `distDir` on a free port of 127.0.0.1, as `npm run dev` runs
 * it (development CSP, dev tools); resolves once /login answers (the first
 * compile can take a minute on two cores).
 */
export async function startDevApp(options: { distDir: string; env: NodeJS.ProcessEnv }): Promise<RunningApp> {
  const env: NodeJS.ProcessEnv = { ...options.env, NEXT_TELEMETRY_DISABLED: '1', NEXT_DIST_DIR: options.distDir };
  const port = await freePort();
  const server = spawn(nextBin, ['dev', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  server.stderr?.pipe(withoutSupabaseNodeNotice()).pipe(process.stderr);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/login`, server, 180_000);
  } catch (err) {
    server.kill('SIGTERM');
    throw err;
  }
  return { url, server, stop: () => void server.kill('SIGTERM') };
}
