// Production readiness of the built app: security headers, a nonce CSP the app
// itself never violates, no secret in the browser bundle, the secret key
// refused to a browser, and sessions on ES256 tokens that verify against the
// published JWKS, through refreshes.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { DEFAULT_JWT_SECRET } from '@switchboard/devstack';
import { metricValue } from '@switchboard/devstack/internals/testing/prometheus-text';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { baseUrl, expect, expectLive, showCard, signIn, test } from './fixtures';

test('pages carry the security headers and a per-request nonce CSP limited to the endpoints in use', async ({
  request,
}) => {
  const first = await request.get(`${baseUrl()}/login`);
  const second = await request.get(`${baseUrl()}/login`);
  const csp = first.headers()['content-security-policy'];
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(csp).not.toContain('unsafe-eval');
  // Production keeps nonce-only styles; only next dev allows inline ones (dev-server.spec.ts).
  expect(csp).toMatch(/style-src 'self' 'nonce-[A-Za-z0-9+/=]+';/);
  expect(csp).not.toContain('unsafe-inline');
  const api = new URL(process.env.E2E_API_URL!);
  expect(csp).toContain(`connect-src 'self' ${api.origin} ws://${api.host}`);
  expect(csp).not.toContain('pusher.com');
  expect(csp).not.toContain('ably');
  expect(second.headers()['content-security-policy']).not.toBe(csp);
  expect(first.headers()['x-frame-options']).toBe('DENY');
  expect(first.headers()['x-content-type-options']).toBe('nosniff');
  expect(first.headers()['referrer-policy']).toBe('strict-origin-when-cross-origin');
  expect(first.headers()['permissions-policy']).toContain('camera=()');
});

test('signing in and working live on the board violates no CSP directive', async ({ browser }) => {
  const violations: string[] = [];
  const north = await signIn(browser, 'dispatcher.north@example.com', async (page) => {
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`Refused to load: CSP ${e.violatedDirective} ${e.blockedURI}`),
      );
    });
  });
  await expectLive(north);
  await (await showCard(north, 'NOR-1001')).click();
  await expect(north.getByTestId('timeline')).toBeVisible();
  expect(violations).toEqual([]);
});

test('no secret reaches the browser bundle', async () => {
  const secrets = {
    'service_role key': process.env.E2E_SERVICE_ROLE_KEY!,
    'secret key': process.env.E2E_SECRET_KEY!,
    'JWT secret': DEFAULT_JWT_SECRET,
    'database password URL': 'postgres:postgres@',
  };
  const root = path.resolve(import.meta.dirname, '../../.next-e2e/static');
  const files: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (/\.(js|css|json|html)$/.test(entry.name)) files.push(full);
    }
  };
  await walk(root);
  expect(files.length).toBeGreaterThan(5);
  const leaks: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    for (const [what, value] of Object.entries(secrets))
      if (value && text.includes(value)) leaks.push(`${what} in ${path.relative(root, file)}`);
  }
  expect(leaks).toEqual([]);
});

test('the browser is refused the secret key, and served with the publishable key', async ({ page }) => {
  await page.goto(`${baseUrl()}/login`);
  const answers = await page.evaluate(
    async ({ api, keys }) => {
      const get = async (apikey: string) => {
        const res = await fetch(`${api}/rest/v1/depots?select=id`, { headers: { apikey } });
        return { status: res.status, body: (await res.json()) as unknown };
      };
      return { secret: await get(keys.secret), publishable: await get(keys.publishable) };
    },
    {
      api: process.env.E2E_API_URL!,
      keys: { secret: process.env.E2E_SECRET_KEY!, publishable: process.env.E2E_PUBLISHABLE_KEY! },
    },
  );
  expect(answers.secret).toEqual({ status: 401, body: { message: 'Forbidden use of secret API key in browser' } });
  expect(answers.publishable).toEqual({ status: 200, body: [] });
});

/** The access token in the page's session cookie (@supabase/ssr: base64-encoded JSON, maybe in chunks). */
async function sessionToken(page: Page): Promise<string> {
  const cookies = (await page.context().cookies()).filter((c) => /^sb-.*-auth-token(\.\d+)?$/.test(c.name));
  cookies.sort((a, b) => a.name.localeCompare(b.name));
  const encoded = cookies.map((c) => c.value).join('');
  const session = JSON.parse(Buffer.from(encoded.replace(/^base64-/, ''), 'base64url').toString()) as {
    access_token: string;
  };
  return session.access_token;
}

test('the board runs on ES256 access tokens that verify against the JWKS, through token refreshes', async ({
  browser,
}) => {
  test.slow(); // waits for a refresh of the 20-second tokens
  const north = await signIn(browser, 'dispatcher.north@example.com');
  await expectLive(north);
  const first = await sessionToken(north);
  const jwks = createRemoteJWKSet(new URL(`${process.env.E2E_API_URL}/auth/v1/.well-known/jwks.json`));
  const expected = process.env.E2E_JWT_ALGORITHM === 'HS256' ? 'HS256' : 'ES256';
  expect(decodeProtectedHeader(first).alg).toBe(expected);
  if (expected === 'ES256') {
    const { payload } = await jwtVerify(first, jwks);
    expect(payload).toMatchObject({ email: 'dispatcher.north@example.com', role: 'authenticated' });
  }
  // The app refreshes the 20-second token; the refreshed one is signed the same way, and the board stays live.
  await expect.poll(() => sessionToken(north), { timeout: 40_000, intervals: [1000] }).not.toBe(first);
  const refreshed = await sessionToken(north);
  expect(decodeProtectedHeader(refreshed).alg).toBe(expected);
  if (expected === 'ES256') await jwtVerify(refreshed, jwks);
  await north.reload();
  await expectLive(north);
  await (await showCard(north, 'NOR-1001')).click();
  await expect(north.getByTestId('timeline')).toBeVisible();
});

test('a signed-in page render verifies the session locally: no Auth request on ES256 tokens', async ({ browser }) => {
  const north = await signIn(browser, 'dispatcher.north@example.com');
  await expectLive(north);
  // GET requests to Auth are the ones a render could make (getUser, the JWKS); token
  // refreshes of other open tabs are POSTs and do not count.
  const authGets = async () =>
    metricValue(await (await fetch(`${process.env.E2E_API_URL}/metrics`)).text(), 'switchboard_http_requests_total', {
      service: 'auth',
      method: 'GET',
    });
  await north.reload(); // warms the server's JWKS cache
  const before = await authGets();
  for (let i = 0; i < 3; i++) {
    await north.reload();
    await expect(north.getByRole('heading', { level: 1 }).or(north.getByTestId('card-NOR-1001')).first()).toBeVisible();
  }
  const during = (await authGets()) - before;
  if (process.env.E2E_JWT_ALGORITHM === 'HS256') expect(during).toBeGreaterThanOrEqual(3);
  else expect(during).toBe(0);
});
