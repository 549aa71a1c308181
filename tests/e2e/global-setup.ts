// Starts everything the browser tests need, on free ports: a private dev stack
// (embedded Postgres + API gateway with auth, rest and realtime; ES256 access
// tokens unless DEVSTACK_JWT_ALGORITHM=HS256, lasting 20 seconds so token
// refresh is exercised all the time) and a production build of the app pointed
// at it with the publishable key (`next build` + `next start`).
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { startApi } from '@switchboard/devstack';
import { readTestKeys } from '@switchboard/devstack';
import { freePort } from '@switchboard/devstack';
import { startStack } from '@switchboard/devstack';
import { ablyPublisher } from '../../relay/publishers/ably';
import { pusherPublisher } from '../../relay/publishers/pusher';
import { silentLogger } from '../../relay/log';
import { Relay } from '../../relay/relay';
import { fromProcess, missingMessage } from '../../scripts/prerequisites';
import { locateChromium } from '../../scripts/prerequisites/locate';
import { startFakeAbly } from '../fakes/ably-server';
import { startFakePusher } from '../fakes/pusher-server';
import { buildAndStartApp, type RunningApp } from '../support/next-app';

export const E2E_JWT_EXPIRY_SECONDS = 20;

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

  // The app built for Ably, against the Ably protocol test server. It has a
  // stack of its own: one outbox feeds one relay (it marks rows delivered),
  // and the Pusher relay already drains the first stack's.
  const ablyStack = await startStack({
    dbPort: await freePort(),
    dataDir: path.join(dir, 'pg-ably'),
    ephemeral: true,
  });
  const ablyApi = await startApi({ dbUrl: ablyStack.dbUrl, port: await freePort(), keys, env: apiEnv });
  const ablyKey = 'e2eApp.e2eKey:e2e-ably-secret-0123456789';
  const fakeAbly = await startFakeAbly({ apiKey: ablyKey });
  const ablyRelaySql = postgres(ablyStack.dbUrl, { max: 3, onnotice: () => {} });
  const ablyRelay = new Relay({
    sql: ablyRelaySql,
    publisher: ablyPublisher({ apiKey: ablyKey, restHost: fakeAbly.host, port: fakeAbly.port, tls: false }),
    logger: silentLogger,
  });
  const ablyRelayRun = ablyRelay.run(relayAbort.signal);
  const ablyEnv: NodeJS.ProcessEnv = {
    ...appEnv,
    NEXT_PUBLIC_SUPABASE_URL: ablyApi.url,
    DATABASE_URL: ablyStack.dbUrl,
    NEXT_PUBLIC_REALTIME_PROVIDER: 'ably',
    NEXT_PUBLIC_ABLY_HOST: fakeAbly.host,
    NEXT_PUBLIC_ABLY_PORT: String(fakeAbly.port),
    ABLY_API_KEY: ablyKey,
    ABLY_REST_HOST: fakeAbly.host,
    ABLY_REST_PORT: String(fakeAbly.port),
    ABLY_REST_TLS: 'false',
  };

  const apps: { name: string; distDir: string; env: NodeJS.ProcessEnv; envKey: string }[] = [
    { name: 'supabase', distDir: '.next-e2e', env: appEnv, envKey: 'E2E_BASE_URL' },
    { name: 'pusher', distDir: '.next-e2e-pusher', env: pusherEnv, envKey: 'E2E_PUSHER_BASE_URL' },
    { name: 'ably', distDir: '.next-e2e-ably', env: ablyEnv, envKey: 'E2E_ABLY_BASE_URL' },
  ];
  const servers: RunningApp[] = [];
  for (const app of apps) {
    const running = await buildAndStartApp({ ...app, log: (line) => console.log(`[e2e] ${line}`) });
    servers.push(running);
    process.env[app.envKey] = running.url;
    console.log(`[e2e] ${app.name} app at ${running.url}`);
  }

  process.env.E2E_DB_URL = stack.dbUrl;
  process.env.E2E_ABLY_DB_URL = ablyStack.dbUrl;
  process.env.E2E_API_URL = api.url;
  process.env.E2E_SERVICE_ROLE_KEY = keys.serviceRoleKey;
  process.env.E2E_SECRET_KEY = keys.secretKey;
  process.env.E2E_PUBLISHABLE_KEY = keys.publishableKey;
  process.env.E2E_JWT_ALGORITHM = keys.jwtAlgorithm;
  process.env.E2E_PUSHER_SECRET = pusherApp.secret;
  console.log(
    `[e2e] API at ${api.url} (${keys.jwtAlgorithm} tokens), fake Pusher at ${fakePusher.host}:${fakePusher.port}, fake Ably at ${fakeAbly.host}:${fakeAbly.port} (stack ${ablyApi.url})`,
  );

  return async () => {
    for (const server of servers) server.stop();
    relayAbort.abort();
    await relayRun.catch(() => {});
    await ablyRelayRun.catch(() => {});
    await ablyRelaySql.end({ timeout: 1 });
    await fakeAbly.close();
    await ablyApi.close();
    await ablyStack.stop();
    await relaySql.end({ timeout: 1 });
    await fakePusher.close();
    await api.close();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
