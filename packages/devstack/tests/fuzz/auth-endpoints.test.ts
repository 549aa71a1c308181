// Fuzzing the auth service: random bodies, params and headers for /token,
// /signup, /user, /logout and /admin/users, with random and forged tokens.
// Every answer is a 4xx in GoTrue's error shape (or a harmless 2xx), never a
// 5xx, and no forged token ever gets a user or an admin answer.
import { SignJWT } from 'jose';
import fc from 'fast-check';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningApi } from '../../src/api';
import { USER } from '../support/fixture';
import {
  describeFailure,
  fuzzRuns,
  fuzzSeed,
  httpRequest,
  keepAliveAgent,
  parseJson,
  sendableHeader,
  ServerErrorLog,
  startPrivateApi,
  type HttpResult,
} from './fuzz-support';

const RUNS = fuzzRuns();
const SEED = fuzzSeed(0x5eed_0003);
const CONCURRENCY = 6;
const HEALTH_EVERY = 1000;
const FUZZ_DOMAIN = 'fuzz.invalid';

let api: RunningApi;
let sql: Sql;
const log = new ServerErrorLog();
const agent = keepAliveAgent(CONCURRENCY);
/** Tokens that look real but must not be honoured: wrong secret, alg none, unknown user, expired, no sub. */
const forged: string[] = [];

beforeAll(async () => {
  log.start();
  api = await startPrivateApi();
  sql = postgres(inject('stack').dbUrl, { max: 2, onnotice: () => {} });
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>, secret: string, exp = now + 3600) =>
    new SignJWT({ aud: 'authenticated', role: 'authenticated', ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(secret));
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  forged.push(
    await sign({ sub: USER.dispatcherNorth }, 'not-the-secret-not-the-secret-not-the-secret'),
    await sign({ sub: USER.dispatcherNorth, role: 'service_role' }, 'not-the-secret-not-the-secret-not-the-secret'),
    await sign({ sub: USER.dispatcherNorth }, api.keys.jwtSecret, now - 10),
    await sign({ sub: '00000000-0000-4000-8000-00000000f022' }, api.keys.jwtSecret),
    await sign({ sub: 'not-a-uuid' }, api.keys.jwtSecret),
    await sign({}, api.keys.jwtSecret),
    await sign({ sub: USER.dispatcherNorth, session_id: '00000000-0000-4000-8000-000000000000' }, api.keys.jwtSecret),
    `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: USER.dispatcherNorth, role: 'service_role', exp: now + 3600 })}.`,
    `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ sub: USER.dispatcherNorth, role: 'service_role', exp: now + 3600 })}.c2ln`,
  );
});

afterAll(async () => {
  agent.destroy();
  // Nothing here signs anyone up; if something did, do not leave it behind.
  if (sql) {
    await sql`delete from auth.users where email like ${`%@${FUZZ_DOMAIN}`}`;
    await sql.end({ timeout: 2 });
  }
  await api?.close();
  log.stop();
});

// ---------------------------------------------------------------------------
// Arbitraries

const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 2 }),
  fc.dictionary(text, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
  fc.constantFrom(1e308, -0, 2 ** 64),
);
const field = fc.oneof({ weight: 3, arbitrary: text }, { weight: 2, arbitrary: wrongType });
/** Emails that never name a real account (a real seed address would cost a bcrypt round per case). */
const email = fc.oneof(
  fc.constantFrom(
    '',
    'no-at-sign',
    '@',
    'a@',
    '@b',
    'a@b',
    'a b@c.d',
    `x@${FUZZ_DOMAIN}`,
    `"q"@${FUZZ_DOMAIN}`,
    'A'.repeat(300) + `@${FUZZ_DOMAIN}`,
    'dispatcher.north@example',
    'DISPATCHER.NORTH@EXAMPLE.COM ',
  ),
  fc.emailAddress().map((e) => e.replace(/@.*$/, `@${FUZZ_DOMAIN}`)),
  text,
);
/** Passwords that are never strong enough to sign up with (so no bcrypt hash, and no account, is ever made). */
const weakPassword = fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('', 'a'.repeat(73), '\u0000'), wrongType);

const anyBody = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: text },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '{',
      '{"email":',
      '{"a":1e400}',
      '[]',
      'null',
      '"x"',
      '{"email":"\\ud800"}',
      '['.repeat(5000) + ']'.repeat(5000),
      '{"__proto__":{"x":1}}',
    ),
  },
);

type Token = string | null;
const tokenChoice = fc.oneof(
  { weight: 3, arbitrary: fc.nat({ max: 100 }).map((i) => `forged:${i}`) },
  { weight: 1, arbitrary: fc.constant('anon') },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.oneof(text, fc.constantFrom('a.b.c', 'eyJ.eyJ.', '...', 'Bearer', '\t')) },
);

interface Case {
  method: string;
  path: string;
  body?: string;
  token: Token;
  apikey: Token;
  headers: Record<string, string>;
}

const grantType = fc.oneof(
  fc.constantFrom(
    'password',
    'refresh_token',
    'pkce',
    'id_token',
    'web3',
    '',
    'PASSWORD',
    'password&grant_type=refresh_token',
  ),
  text,
);
const tokenCase = fc.record({
  method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT'),
  path: grantType.map((g) => `/token?grant_type=${encodeURIComponent(g.toWellFormed())}`),
  body: fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .record(
          {
            email,
            password: weakPassword,
            phone: field,
            gotrue_meta_security: fc.oneof(fc.record({ captcha_token: field }), wrongType),
          },
          { requiredKeys: [] },
        )
        .map((b) => JSON.stringify(b)),
    },
    {
      weight: 2,
      arbitrary: fc
        .record(
          { refresh_token: fc.oneof(fc.constantFrom('', 'abcdefghijkl', 'a'.repeat(12), '../../etc'), field) },
          { requiredKeys: [] },
        )
        .map((b) => JSON.stringify(b)),
    },
    { weight: 2, arbitrary: anyBody },
  ),
});
const signupCase = fc.record({
  method: fc.constantFrom('POST', 'POST', 'GET'),
  path: fc.constantFrom('/signup', '/signup/', '/signup?redirect_to=javascript:alert(1)'),
  body: fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .record(
          {
            email,
            password: weakPassword,
            phone: field,
            data: fc.oneof(fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), wrongType),
            channel: field,
            code_challenge: field,
          },
          { requiredKeys: [] },
        )
        .map((b) => JSON.stringify(b)),
    },
    { weight: 2, arbitrary: anyBody },
  ),
});
const userCase = fc.record({
  method: fc.constantFrom('GET', 'PUT', 'PUT', 'POST', 'DELETE'),
  path: fc.constantFrom('/user', '/user/', '/user?x=1'),
  body: fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .record(
          {
            email,
            password: weakPassword,
            data: fc.oneof(fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), wrongType),
            app_metadata: fc.oneof(fc.constant({ role: 'service_role' }), wrongType),
            nonce: field,
          },
          { requiredKeys: [] },
        )
        .map((b) => JSON.stringify(b)),
    },
    { weight: 2, arbitrary: anyBody },
  ),
});
const logoutCase = fc.record({
  method: fc.constantFrom('POST', 'POST', 'GET'),
  path: fc.oneof(
    fc.constantFrom('/logout', '/logout?scope=global', '/logout?scope=local', '/logout?scope=others'),
    text.map((s) => `/logout?scope=${encodeURIComponent(s.toWellFormed())}`),
  ),
  body: fc.option(anyBody, { nil: undefined }),
});
const adminCase = fc.record({
  method: fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
  path: fc.oneof(
    fc.constantFrom(
      '/admin/users',
      '/admin/users?page=0',
      '/admin/users?page=-1&per_page=99999999999',
      '/admin/users?per_page=abc',
      '/admin/users/',
      '/admin/users//x',
      '/admin/users/%zz',
      '/admin/',
      '/admin/audit',
    ),
    fc
      .oneof(
        fc.uuid(),
        fc.constantFrom(USER.dispatcherNorth, 'me', '..', '%2e%2e'),
        text.map((s) => encodeURIComponent(s.toWellFormed())),
      )
      .map((id) => `/admin/users/${id}`),
  ),
  body: fc.option(
    fc.oneof(
      fc
        .record(
          {
            email,
            password: weakPassword,
            role: fc.oneof(fc.constantFrom('service_role', 'supabase_admin'), field),
            app_metadata: fc.oneof(fc.constant({ role: 'service_role' }), wrongType),
            ban_duration: fc.oneof(fc.constantFrom('none', '1h', '-1s', '99999999999h', 'forever'), field),
            email_confirm: fc.oneof(fc.boolean(), wrongType),
            should_soft_delete: fc.oneof(fc.boolean(), wrongType),
          },
          { requiredKeys: [] },
        )
        .map((b) => JSON.stringify(b)),
      anyBody,
    ),
    { nil: undefined },
  ),
});

const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
      '',
    ),
    'x-supabase-api-version': fc.oneof(
      fc.constantFrom('2024-01-01', '2023-12-31', '2024-13-45', '9999-99-99', '0000-00-00', 'latest'),
      text,
    ),
    'x-jwt-aud': fc.oneof(fc.constantFrom('authenticated', '', 'admin'), text),
    'x-client-info': text,
    'x-forwarded-for': fc.oneof(fc.ipV4(), text),
    'user-agent': text,
  },
  { requiredKeys: [] },
);

const fuzzCase: fc.Arbitrary<Case> = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: tokenCase },
      { weight: 2, arbitrary: signupCase },
      { weight: 2, arbitrary: userCase },
      { weight: 1, arbitrary: logoutCase },
      { weight: 2, arbitrary: adminCase },
    ),
    tokenChoice,
    fc.oneof({ weight: 4, arbitrary: fc.constant<Token>('anon') }, { weight: 1, arbitrary: tokenChoice }),
    headers,
  )
  .map(([route, token, apikey, h]) => ({
    method: route.method,
    path: route.path,
    body: route.body,
    token,
    apikey,
    headers: h,
  }));

// ---------------------------------------------------------------------------

function resolveToken(choice: Token): string | null {
  if (choice === null) return null;
  if (choice === 'anon') return api.keys.anonKey;
  if (choice.startsWith('forged:')) return forged[Number(choice.slice(7)) % forged.length];
  return choice;
}

function send(c: Case): Promise<HttpResult> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.headers)) h[k] = sendableHeader(v);
  const apikey = resolveToken(c.apikey);
  const token = resolveToken(c.token);
  if (apikey !== null) h.apikey = sendableHeader(apikey);
  if (token !== null) h.authorization = sendableHeader(`Bearer ${token}`);
  return httpRequest(agent, api.url, `/auth/v1${c.path}`, { method: c.method, headers: h, body: c.body });
}

/** GoTrue's error bodies: {code, error_code, msg}, {code, message} (API 2024-01-01), or OAuth's {error, error_description}. */
function isAuthError(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const e = value as Record<string, unknown>;
  if (typeof e.code === 'number' && typeof e.error_code === 'string' && typeof e.msg === 'string') return true;
  if (typeof e.code === 'string' && typeof e.message === 'string') return true;
  return typeof e.error === 'string' && typeof e.error_description === 'string';
}

function problemOf(c: Case, res: HttpResult): string | null {
  if (res.status >= 500) return `status ${res.status}: ${res.text.slice(0, 500)}`;
  if (res.status >= 200 && res.status < 300) {
    // Nothing here may succeed: no valid credentials, no valid session, no admin key is ever sent.
    return `unexpected success ${res.status}: ${res.text.slice(0, 300)}`;
  }
  if (res.status < 400) return `status ${res.status}`;
  const parsed = parseJson(res.text);
  if (!parsed.ok || !isAuthError(parsed.value))
    return `not a GoTrue error body: ${res.status} ${JSON.stringify(res.headers)} ${res.text.slice(0, 300)}`;
  const code = res.headers['x-sb-error-code'];
  if ((parsed.value as { error?: unknown }).error === undefined && typeof code !== 'string')
    return 'error without x-sb-error-code header';
  return null;
}

async function healthy(): Promise<void> {
  const res = await httpRequest(agent, api.url, '/auth/v1/health', { headers: { apikey: api.keys.anonKey } });
  expect(res.status, res.text).toBe(200);
}

describe(`Auth endpoints under ${RUNS} fuzzed requests (seed ${SEED})`, () => {
  it(
    'answers every request with a GoTrue 4xx error, never a 5xx or a success for forged input',
    { timeout: 600_000 },
    async () => {
      const started = Date.now();
      const batches = Math.ceil(RUNS / CONCURRENCY);
      let cases = 0;
      const statuses = new Map<number, number>();
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(fuzzCase, { minLength: CONCURRENCY, maxLength: CONCURRENCY }), async (batch) => {
            const mark = log.lines.length;
            const results = await Promise.all(batch.map(send));
            for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
            const problems = batch.flatMap((c, i) => {
              const problem = problemOf(c, results[i]);
              return problem
                ? [
                    `${c.method} /auth/v1${c.path} token=${c.token} apikey=${c.apikey} headers=${JSON.stringify(c.headers)} body=${c.body?.slice(0, 300)}\n  → ${problem}`,
                  ]
                : [];
            });
            if (problems.length > 0) throw new Error(problems.join('\n'));
            const logged = log.since(mark);
            if (logged.length > 0) throw new Error(`server logged an internal error:\n${logged.join('\n')}`);
            const previous = cases;
            cases += batch.length;
            if (Math.floor(cases / HEALTH_EVERY) > Math.floor(previous / HEALTH_EVERY)) await healthy();
          }),
          { numRuns: batches, seed: SEED },
        );
      } catch (err) {
        throw new Error(
          `auth fuzz failed (seed ${SEED}; replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}):\n${describeFailure(err)}`,
        );
      } finally {
        console.info(
          `[fuzz] auth: ${cases} requests in ${Date.now() - started} ms (seed ${SEED}); statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
        );
      }
      await healthy();
      const [{ made }] = await sql<
        { made: number }[]
      >`select count(*)::int as made from auth.users where email like ${`%@${FUZZ_DOMAIN}`}`;
      expect(made, 'fuzzed sign-ups created accounts').toBe(0);
    },
  );
});
