// Proxy benchmark: a signed-in page request through the app's proxy
// (proxy.ts → getClaims()) with an ES256 access token, verified locally
// against the cached JWKS, next to the same request with a legacy HS256 token,
// which getClaims() can only check by asking Auth (GET /auth/v1/user).
// One dev stack (ES256, which still accepts HS256 tokens of its JWT secret),
// one production build, one session: only the access token's signature
// differs. Requests alternate between the two, so both see the same machine.
//   - a not-found page: the proxy's cost dominates;
//   - the board page: a real server render (its own queries) on top.
// `npx tsx bench/proxy/bench.ts`; BENCH_REQUESTS overrides the default 300 per kind.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createServerClient } from '@supabase/ssr';
import { freePort, signJwt } from '@switchboard/devstack';
import WebSocket from 'ws';
import { recordMetric } from '../support/results';
import { startBenchStack } from '../support/stack';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const WARMUP = 30;
const NORTH_DEPOT = 'd0000000-0000-4000-8000-000000000001';
const root = path.resolve(import.meta.dirname, '../..');
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

/** The session cookie @supabase/ssr writes, re-encoded with another access token. */
function sessionCookie(name: string, session: object, accessToken: string): string {
  return `${name}=base64-${Buffer.from(JSON.stringify({ ...session, access_token: accessToken })).toString('base64url')}`;
}

async function main(): Promise<void> {
  const bench = await startBenchStack();
  const { api } = bench;
  if (api.keys.jwtAlgorithm !== 'ES256') throw new Error('run the proxy benchmark in the default ES256 mode');
  const env = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    NEXT_DIST_DIR: '.next-bench',
    NEXT_PUBLIC_SUPABASE_URL: api.url,
    NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: api.keys.publishableKey,
    NEXT_PUBLIC_SUPABASE_ANON_KEY: '',
  };
  const next = path.join(root, 'node_modules', '.bin', 'next');
  console.log('building the app…');
  await run(next, ['build'], env);
  const port = await freePort();
  const server = spawn(next, ['start', '-p', String(port), '-H', '127.0.0.1'], { cwd: root, env, stdio: 'ignore' });
  const app = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      try {
        await fetch(`${app}/login`);
        break;
      } catch {
        if (i > 100) throw new Error('next start did not come up');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    // One real session (a long-lived token, so no refresh happens during the run).
    const jar = new Map<string, string>();
    const supabase = createServerClient(api.url, api.keys.publishableKey, {
      realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
      cookies: {
        getAll: () => [...jar].map(([name, value]) => ({ name, value })),
        setAll: (cookies) => cookies.forEach(({ name, value }) => jar.set(name, value)),
      },
    });
    const { data, error } = await supabase.auth.signInWithPassword({
      email: 'dispatcher.north@example.com',
      password: 'password123',
    });
    if (error) throw error;
    const cookieName = [...jar.keys()][0].replace(/\.\d+$/, '');
    const claims = JSON.parse(Buffer.from(data.session.access_token.split('.')[1], 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const session = { ...data.session, expires_at: exp, expires_in: 3600 };
    const es256 = await signJwt(api.keys, { ...claims, exp });
    const hs256 = await signJwt({ ...api.keys, jwtAlgorithm: 'HS256' }, { ...claims, exp });
    const kinds = {
      ES256: sessionCookie(cookieName, session, es256),
      HS256: sessionCookie(cookieName, session, hs256),
    };

    const pages = { 'not-found page': '/bench-no-such-page', 'board page': `/board/${NORTH_DEPOT}` };
    const results: Record<string, Record<string, number[]>> = {};
    for (const [label, pagePath] of Object.entries(pages)) {
      const times: Record<string, number[]> = { ES256: [], HS256: [] };
      for (let i = 0; i < WARMUP + REQUESTS; i++) {
        for (const [kind, cookie] of Object.entries(kinds)) {
          const started = performance.now();
          const res = await fetch(`${app}${pagePath}`, { headers: { cookie }, redirect: 'manual' });
          await res.arrayBuffer();
          const ms = performance.now() - started;
          if (res.status >= 300 && res.status < 400) throw new Error(`${kind}: the proxy redirected ${pagePath}`);
          if (i >= WARMUP) times[kind].push(ms);
        }
      }
      for (const list of Object.values(times)) list.sort((a, b) => a - b);
      results[label] = times;
    }

    // Auth requests per page request, from the stack's own counter: the reason for the difference.
    const authCount = async () => {
      const text = await (await fetch(`${api.url}/metrics`)).text();
      let total = 0;
      for (const [, v] of text.matchAll(/^switchboard_http_requests_total\{[^}]*service="auth"[^}]*\} (\d+)$/gm))
        total += Number(v);
      return total;
    };
    const authPerRequest: Record<string, number> = {};
    for (const [kind, cookie] of Object.entries(kinds)) {
      const before = await authCount();
      for (let i = 0; i < 20; i++)
        await (await fetch(`${app}${pages['not-found page']}`, { headers: { cookie } })).arrayBuffer();
      authPerRequest[kind] = ((await authCount()) - before) / 20;
    }

    console.log(`\nProxy benchmark: ${REQUESTS} requests per kind and page (after ${WARMUP} warm-up), next start`);
    console.log(
      `Auth requests per proxied page request: ES256 ${authPerRequest.ES256}, HS256 ${authPerRequest.HS256}\n`,
    );
    console.log('| page | ES256, local verification p50 / p95 | HS256, Auth round trip p50 / p95 | ratio (p50) |');
    console.log('|---|---:|---:|---:|');
    for (const [label, times] of Object.entries(results)) {
      const [local, remote] = [times.ES256, times.HS256];
      console.log(
        `| ${label} | ${pct(local, 50).toFixed(2)} / ${pct(local, 95).toFixed(2)} ms | ${pct(remote, 50).toFixed(2)} / ${pct(remote, 95).toFixed(2)} ms | ${(pct(remote, 50) / pct(local, 50)).toFixed(2)}× |`,
      );
      recordMetric({
        name: `proxy ${label} p50, ES256 verified locally`,
        value: pct(local, 50),
        unit: 'ms',
        baseline: { name: 'HS256 with an Auth round trip', value: pct(remote, 50) },
      });
    }
  } finally {
    server.kill('SIGTERM');
    await bench.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
