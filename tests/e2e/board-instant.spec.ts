// Issue 14, item 1: instant and offline-safe. Search, filters, sorting and
// opening or closing a shipment run in the browser on the React Query cache,
// with their state in the URL and no request to the app server; offline they
// keep working and never land on the browser's error page. The server render
// serves the first paint and deep links.
import type { Page } from '@playwright/test';
import { createShipment, DEPOT, expect, expectLive, signIn, test } from './fixtures';

const VIEWPORTS = [
  ['desktop', { width: 1440, height: 900 }],
  ['phone', { width: 390, height: 844 }],
] as const;

/**
 * Records every request the page makes to the app server (the Next.js origin), from now on,
 * except the tab's icon: Chromium asks for the favicon again on every same-document URL change
 * (a static, cacheable file, not a render), which says nothing about the app.
 */
async function appServerRequests(page: Page): Promise<string[]> {
  const origin = new URL(page.url()).origin;
  const icons = new Set(
    await page.locator('link[rel~="icon"]').evaluateAll((links) => links.map((l) => (l as HTMLLinkElement).href)),
  );
  const seen: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).origin === origin && !icons.has(request.url()))
      seen.push(`${request.method()} ${request.url()}`);
  });
  return seen;
}

/** Content-Security-Policy violations reported in the console (e.g. inline styles in server HTML). */
function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) seen.push(message.text());
  });
  return seen;
}

for (const [label, viewport] of VIEWPORTS) {
  test(`${label}: search, filters, sort, open and close make no request to the app server and live in the URL`, async ({
    browser,
    db,
  }) => {
    const shipment = await createShipment(db, DEPOT.north, { prefix: 'INS' });
    const page = await signIn(browser, 'dispatcher.north@example.com');
    const csp = cspViolations(page);
    await page.setViewportSize(viewport);
    await expectLive(page);
    await page.waitForLoadState('networkidle');
    const requests = await appServerRequests(page);

    // Typing, key by key: each keystroke filters at once.
    await page.getByTestId('filter-query').pressSequentially(shipment.reference, { delay: 20 });
    const card = page.getByTestId(`card-${shipment.reference}`);
    await expect(card).toBeVisible();
    await expect(page.getByTestId('board-count')).toHaveAttribute('data-visible', '1');
    await expect(page).toHaveURL(new RegExp(`[?&]q=${shipment.reference}`));

    // Sort and filters: still nothing asked of the server.
    await page.getByTestId('sort').selectOption('reference');
    await expect(page).toHaveURL(/sort=reference/);
    await page.getByTestId('filter-driver').selectOption('none');
    await expect(card).toBeVisible();
    await page.getByTestId('filter-flag-late').click();
    await expect(page.getByTestId('empty-results')).toBeVisible();
    await page.getByTestId('filter-flag-late').click();

    // Open and close the shipment: the drawer comes from the cache.
    await card.click();
    const drawer = page.getByTestId('shipment-drawer');
    await expect(drawer).toBeVisible();
    await expect(drawer.getByRole('heading', { name: shipment.reference })).toBeVisible();
    await expect(page).toHaveURL(new RegExp(`shipment=${shipment.id}`));
    await page.keyboard.press('Escape');
    await expect(drawer).toHaveCount(0);
    await expect(page).not.toHaveURL(/shipment=/);
    await expect(card).toBeFocused();

    expect(requests).toEqual([]);

    // The state survives a reload (the server renders the same board from the URL).
    await page.reload();
    await expect(page.getByTestId('filter-query')).toHaveValue(shipment.reference);
    await expect(page.getByTestId(`card-${shipment.reference}`)).toBeVisible();
    await expect(page.getByTestId('sort')).toHaveValue('reference');
    expect(requests.length).toBeGreaterThan(0); // the reload: the counter does see the app server
    expect(csp).toEqual([]);
    await page.context().close();
  });
}

test('offline: search, open and close keep working, the typed text and state stay, and the error page never shows', async ({
  browser,
  db,
}) => {
  const shipment = await createShipment(db, DEPOT.north, { prefix: 'OFF' });
  const page = await signIn(browser, 'dispatcher.north@example.com');
  await expectLive(page);
  // A marker in this document: any full navigation (or the browser's error page) would lose it.
  await page.evaluate(() => Object.assign(window, { sameDocument: 'yes' }));
  const sameDocument = () => page.evaluate(() => (window as unknown as { sameDocument?: string }).sameDocument);

  await page.context().setOffline(true);
  await expect(page.getByTestId('connection-badge')).toHaveAttribute('data-state', 'offline');

  await page.getByTestId('filter-query').pressSequentially(shipment.reference, { delay: 20 });
  const card = page.getByTestId(`card-${shipment.reference}`);
  await expect(card).toBeVisible();
  await card.click();
  const drawer = page.getByTestId('shipment-drawer');
  await expect(drawer).toBeVisible();
  await expect(drawer.getByTestId('drawer-offline')).toContainText('You are offline');
  await page.keyboard.press('Escape');
  await expect(drawer).toHaveCount(0);
  await expect(card).toBeFocused();

  // Links and sign-out stay put while offline (they would need the server), and say so.
  const depotLink = page.getByRole('navigation', { name: 'Depots' }).getByRole('link', { name: 'North Depot' });
  await expect(depotLink).toHaveAttribute('aria-disabled', 'true');
  await expect(depotLink).toHaveAttribute('title', /offline/);
  // A person can still click it (Playwright would wait for an aria-disabled link to enable): nothing happens.
  await depotLink.click({ force: true });
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeDisabled();

  expect(await sameDocument()).toBe('yes');
  expect(page.url()).toContain(`/board/${DEPOT.north}`);
  expect(page.url()).toContain(`q=${shipment.reference}`);
  await expect(page.getByTestId('filter-query')).toHaveValue(shipment.reference);
  await expect(page.getByRole('heading', { level: 1, name: 'North Depot' })).toBeVisible();

  // Back online: the same document goes live again, state intact.
  await page.context().setOffline(false);
  await expectLive(page);
  expect(await sameDocument()).toBe('yes');
  await expect(card).toBeVisible();
  await page.context().close();
});

test('a deep link with a search and an open shipment is rendered by the server, drawer included', async ({
  browser,
  db,
}) => {
  const shipment = await createShipment(db, DEPOT.north, { prefix: 'DEEP' });
  const page = await signIn(browser, 'dispatcher.north@example.com');
  const url = `/board/${DEPOT.north}?q=${shipment.reference}&shipment=${shipment.id}`;
  // The HTML the server sends (with the page's session cookies), before any script runs.
  const html = await (await page.context().request.get(url)).text();
  expect(html).toContain(`data-testid="shipment-drawer"`);
  expect(html).toContain(`data-testid="card-${shipment.reference}"`);
  expect(html).not.toContain('data-testid="card-NOR-1001"');

  await page.goto(url);
  await expect(page.getByTestId('shipment-drawer').getByRole('heading', { name: shipment.reference })).toBeVisible();
  await expect(page.getByTestId('board-count')).toHaveAttribute('data-visible', '1');
  await page.getByRole('button', { name: `Close details of ${shipment.reference}` }).click();
  await expect(page.getByTestId(`card-${shipment.reference}`)).toBeFocused();
  await page.context().close();
});
