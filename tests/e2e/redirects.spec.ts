// Redirects the app builds: only ever to a path on this site (the sign-in
// `next` parameter cannot send anyone elsewhere), and never to the server's
// internal address when it runs behind a reverse proxy with a public host.
import http from 'node:http';
import { baseUrl, DEPOT, expect, test } from './fixtures';

const PUBLIC = { host: 'dispatch.example.com', proto: 'https' };

/** One request as a reverse proxy forwards it (public Host and X-Forwarded-*), redirects not followed. */
function viaProxy(
  path: string,
  options: { method?: string; cookie?: string } = {},
): Promise<{ status: number; location: string | undefined }> {
  const target = new URL(path, baseUrl());
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: options.method ?? 'GET',
        headers: {
          host: PUBLIC.host,
          'x-forwarded-host': PUBLIC.host,
          'x-forwarded-proto': PUBLIC.proto,
          'x-forwarded-for': '203.0.113.7',
          ...(options.cookie ? { cookie: options.cookie } : {}),
        },
      },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      },
    );
    req.once('error', reject);
    req.end();
  });
}

/** A Location keeps the origin the user sees: relative, or on the public host, never the server's own. */
function expectPublicLocation(location: string | undefined, path: RegExp): void {
  expect(location).toBeDefined();
  const resolved = new URL(location!, `${PUBLIC.proto}://${PUBLIC.host}`);
  expect(resolved.origin, location).toBe(`${PUBLIC.proto}://${PUBLIC.host}`);
  expect(resolved.pathname + resolved.search).toMatch(path);
  expect(location).not.toMatch(/localhost|127\.0\.0\.1|0\.0\.0\.0/);
}

test('signing in with next=/\\example.org/ and similar bypasses stays on this site', async ({ browser }) => {
  for (const next of [
    '/\\example.org/',
    '//example.org/',
    '/%09/example.org/',
    '/%5Cexample.org/',
    'https://example.org/',
  ]) {
    const context = await browser.newContext({ baseURL: baseUrl() });
    const page = await context.newPage();
    const offsite: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).hostname.endsWith('example.org')) offsite.push(r.url());
    });
    await page.goto(`/login?next=${encodeURIComponent(next)}`);
    await page.getByLabel('Email', { exact: true }).fill('dispatcher.north@example.com');
    await page.getByLabel('Password', { exact: true }).fill('password123');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/board\//);
    expect(new URL(page.url()).origin, next).toBe(new URL(baseUrl()).origin);
    expect(offsite, next).toEqual([]);
    await context.close();
  }
});

test('a same-site next survives sign-in', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: baseUrl() });
  const page = await context.newPage();
  await page.goto(`/login?next=${encodeURIComponent(`/board/${DEPOT.south}`)}`);
  await page.getByLabel('Email', { exact: true }).fill('dispatcher.hq@example.com');
  await page.getByLabel('Password', { exact: true }).fill('password123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`**/board/${DEPOT.south}`);
  await context.close();
});

test('behind a proxy with a public host, every redirect keeps that host', async ({ browser }) => {
  // Signed out: the proxy sends pages to /login with where they were going.
  let res = await viaProxy('/board');
  expect(res.status).toBe(307);
  expectPublicLocation(res.location, /^\/login\?next=%2Fboard$/);
  res = await viaProxy('/');
  expectPublicLocation(res.location, /^\/login$/);

  // Signed in (the session cookies of a real sign-in).
  const context = await browser.newContext({ baseURL: baseUrl() });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill('dispatcher.north@example.com');
  await page.getByLabel('Password', { exact: true }).fill('password123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/board\//);
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  await context.close();

  res = await viaProxy('/login', { cookie });
  expectPublicLocation(res.location, /^\/board$/);
  res = await viaProxy('/board', { cookie });
  expectPublicLocation(res.location, new RegExp(`^/board/${DEPOT.north}$`));
  // Sign-out answered with Location: http://localhost:<port>/login before (issue 17).
  res = await viaProxy('/auth/signout', { method: 'POST', cookie });
  expect(res.status).toBe(303);
  expectPublicLocation(res.location, /^\/login$/);
});
