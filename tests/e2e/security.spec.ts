// Production readiness of the built app: security headers, a nonce CSP the app
// itself never violates, and no secret in the browser bundle.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_JWT_SECRET } from '@switchboard/devstack';
import { baseUrl, expect, expectLive, signIn, test } from './fixtures';

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
  await north.getByTestId('card-NOR-1001').click();
  await expect(north.getByTestId('timeline')).toBeVisible();
  expect(violations).toEqual([]);
});

test('no secret reaches the browser bundle', async () => {
  const secrets = {
    'service_role key': process.env.E2E_SERVICE_ROLE_KEY!,
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
