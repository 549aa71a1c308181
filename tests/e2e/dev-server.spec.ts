// `npm run dev` as a developer meets it: Next's dev tools (the indicator, the
// error overlay) work under the development Content-Security-Policy, with no
// CSP error in the console. The production policy is checked in security.spec.ts.
import { startDevApp, type RunningApp } from '../support/next-app';
import { expect, expectLive, showCard, test } from './fixtures';

let dev: RunningApp;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  dev = await startDevApp({
    distDir: '.next-e2e-dev',
    env: {
      ...process.env,
      NODE_ENV: 'development',
      NEXT_PUBLIC_SUPABASE_URL: process.env.E2E_API_URL,
      NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: process.env.E2E_PUBLISHABLE_KEY,
      NEXT_PUBLIC_SUPABASE_ANON_KEY: '',
      NEXT_PUBLIC_REALTIME_PROVIDER: 'supabase',
    },
  });
});
test.afterAll(() => dev?.stop());

test('next dev: the dev tools render and no page breaks the development CSP', async ({ browser }) => {
  test.setTimeout(240_000);
  const context = await browser.newContext({ baseURL: dev.url, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`Refused by CSP: ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`),
    );
  });

  const response = await page.goto('/login', { timeout: 180_000 });
  const csp = response?.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("'unsafe-eval'");
  expect(csp).toMatch(/style-src 'self' 'unsafe-inline'(;|$)/);
  // The dev indicator is on the page, with its styles applied (blocked <style> elements add no sheet).
  // (The Next logo button; a second one shows the route's status while it compiles or renders.)
  await expect(page.locator('nextjs-portal #next-logo[data-nextjs-dev-tools-button]')).toBeVisible({
    timeout: 60_000,
  });
  const sheets = await page.evaluate(
    () => document.querySelector('nextjs-portal')?.shadowRoot?.styleSheets.length ?? 0,
  );
  expect(sheets).toBeGreaterThan(0);

  await page.getByLabel('Email', { exact: true }).fill('dispatcher.north@example.com');
  await page.getByLabel('Password', { exact: true }).fill('password123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/board/, { timeout: 180_000 });
  // next dev compiles the board on its first request: minutes on a busy two-core machine.
  await expect(page.getByTestId('board-count')).toBeVisible({ timeout: 180_000 });
  await expectLive(page);
  // Found by search: other tests' shipments may push it out of the virtualized column.
  await (await showCard(page, 'NOR-1001')).click();
  await expect(page.getByTestId('timeline')).toBeVisible({ timeout: 60_000 });
  expect(violations).toEqual([]);
  await context.close();
});
