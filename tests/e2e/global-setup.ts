// Starts everything the browser tests need, on free ports: a private dev stack
// (embedded Postgres + API gateway with auth, rest and realtime; ES256 access
// tokens unless DEVSTACK_JWT_ALGORITHM=HS256, lasting 20 seconds so token
// refresh is exercised all the time) and a production build of the app pointed
// at it with the publishable key (`next build` + `next start`).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { startApi } from '@switchboard/devstack';
import { readTestKeys } from '@switchboard/devstack';
import { freePort } from '@switchboard/devstack';
import { startStack } from '@switchboard/devstack';
import { pusherPublisher } from '../../relay/publishers/pusher';
import { silentLogger } from '../../relay/log';
import { Relay } from '../../relay/relay';
import { fromProcess, missingMessage } from '../../scripts/prerequisites';
import { locateChromium } from '../../scripts/prerequisites/locate';
import { withoutSupabaseNodeNotice } from '../../scripts/node-support.mjs';
import { startFakePusher } from '../fakes/pusher-server';

const root = path.resolve(import.meta.dirname, '../..');
export const E2E_JWT_EXPIRY_SECONDS = 20;

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

export default async function globalSetup(): Promise<() => Promise<void>> {
  // Before minutes of builds: stop at once, with what to install, when there is no browser.
  const chromium = locateChromium(fromProcess());
  if (!chromium.found) throw new Error(missingMessage([chromium], new Map()));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-e2e-'));
  await chmod(dir, 0o755);
  const stack = await startStack({ dbPort: await freePort(), dataDir: path.join(dir, 'pg'), ephemeral: true });
  const keys = await readTestKeys();
  const apiEnv = { ...process.env, DEVSTACK_JWT_EXPIRY: String(E2E_JWT_EXPIRY_SECONDS) };
  const api = await startApi({ dbUrl: stack.dbUrl, port: await freePort(), keys, env: apiEnv });

  const appEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    NEXT_PUBLIC_SUPABASE_URL: api.url,
    NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: keys.publishableKey,
    NEXT_PUBLIC_SUPABASE_ANON_KEY: '',
    DATABASE_URL: stack.dbUrl,
  };

  // The same app built for Pusher, against the Pusher protocol test server,
  // fed by the outbox relay: the provider swap end to end.
  const pusherApp = { appId: '1001', key: 'e2e-pusher-key', secret: 'e2e-pusher-secret' };
  const fakePusher = await startFakePusher(pusherApp);
  const relaySql = postgres(stack.dbUrl, { max: 3, onnotice: () => {} });
  const relayAbort = new AbortController();
  const relay = new Relay({
    sql: relaySql,
    publisher: pusherPublisher({ ...pusherApp, host: fakePusher.host, port: fakePusher.port, useTLS: false }),
    logger: silentLogger,
  });
  const relayRun = relay.run(relayAbort.signal);
  const pusherEnv: NodeJS.ProcessEnv = {
    ...appEnv,
    NEXT_PUBLIC_REALTIME_PROVIDER: 'pusher',
    NEXT_PUBLIC_PUSHER_KEY: pusherApp.key,
    NEXT_PUBLIC_PUSHER_CLUSTER: 'e2e',
    NEXT_PUBLIC_PUSHER_HOST: fakePusher.host,
    NEXT_PUBLIC_PUSHER_PORT: String(fakePusher.port),
    PUSHER_APP_ID: pusherApp.appId,
    PUSHER_SECRET: pusherApp.secret,
  };

  const apps: { name: string; distDir: string; env: NodeJS.ProcessEnv; envKey: string }[] = [
    { name: 'supabase', distDir: '.next-e2e', env: appEnv, envKey: 'E2E_BASE_URL' },
    { name: 'pusher', distDir: '.next-e2e-pusher', env: pusherEnv, envKey: 'E2E_PUSHER_BASE_URL' },
  ];
  const servers: ChildProcess[] = [];
  for (const app of apps) {
    const env = { ...app.env, NEXT_DIST_DIR: app.distDir };
    const started = Date.now();
    console.log(`[e2e] building the app for ${app.name} (next build)…`);
    await run(path.join(root, 'node_modules', '.bin', 'next'), ['build'], env, `next build (${app.name})`);
    console.log(`[e2e] built in ${Math.round((Date.now() - started) / 1000)} s`);
    const appPort = await freePort();
    const server = spawn(
      path.join(root, 'node_modules', '.bin', 'next'),
      ['start', '-p', String(appPort), '-H', '127.0.0.1'],
      {
        cwd: root,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    // The server's errors stay visible; supabase-js's Node notice is said once by npm test.
    server.stderr?.pipe(withoutSupabaseNodeNotice()).pipe(process.stderr);
    servers.push(server);
    const url = `http://127.0.0.1:${appPort}`;
    await waitForHttp(`${url}/login`, server);
    process.env[app.envKey] = url;
    console.log(`[e2e] ${app.name} app at ${url}`);
  }

  process.env.E2E_DB_URL = stack.dbUrl;
  process.env.E2E_API_URL = api.url;
  process.env.E2E_SERVICE_ROLE_KEY = keys.serviceRoleKey;
  process.env.E2E_SECRET_KEY = keys.secretKey;
  process.env.E2E_PUBLISHABLE_KEY = keys.publishableKey;
  process.env.E2E_JWT_ALGORITHM = keys.jwtAlgorithm;
  process.env.E2E_PUSHER_SECRET = pusherApp.secret;
  console.log(
    `[e2e] API at ${api.url} (${keys.jwtAlgorithm} tokens), fake Pusher at ${fakePusher.host}:${fakePusher.port}`,
  );

  return async () => {
    for (const server of servers) server.kill('SIGTERM');
    relayAbort.abort();
    await relayRun.catch(() => {});
    await relaySql.end({ timeout: 1 });
    await fakePusher.close();
    await api.close();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
