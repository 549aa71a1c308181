import { test as base, expect, type Browser, type Page } from '@playwright/test';
import postgres, { type Sql } from 'postgres';

export { DEPOT, USER } from '../support/seed-ids';

/** The app build of the running project (Supabase Realtime, or another provider). */
export const baseUrl = () => {
  const name = String(base.info().project.metadata.baseUrlEnv ?? 'E2E_BASE_URL');
  const url = process.env[name];
  if (!url) throw new Error(`${name} is not set: run the browser tests through playwright.config.ts`);
  return url;
};

/** Signs in through the login page, as a person would, in a fresh browser context. */
export async function signIn(browser: Browser, email: string, init?: (page: Page) => Promise<void>): Promise<Page> {
  // Drivers use phones; dispatchers a desktop.
  const viewport = email.startsWith('driver.') ? { width: 390, height: 844 } : { width: 1440, height: 900 };
  const context = await browser.newContext({ baseURL: baseUrl(), viewport, hasTouch: email.startsWith('driver.') });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[${email}] page error:`, error.message));
  if (init) await init(page);
  await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill('password123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/(board|driver)/);
  return page;
}

/**
 * A card on the board, found as a dispatcher finds one: by typing its reference
 * in the search box (the board's columns are virtualized, so a card far down a
 * long column is not in the DOM until it is searched for or scrolled to).
 */
export async function showCard(page: Page, reference: string) {
  await page.getByTestId('filter-query').fill(reference);
  const card = page.getByTestId(`card-${reference}`);
  await expect(card).toBeVisible();
  return card;
}

/** Waits until the tab's realtime connection reports live. */
export async function expectLive(page: Page): Promise<void> {
  await expect(page.getByTestId('connection-badge')).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
}

export const test = base.extend<{ db: Sql }>({
  // A superuser connection to the test database of the running project's build, for arranging and checking state.
  db: async ({}, use) => {
    const name = String(base.info().project.metadata.dbUrlEnv ?? 'E2E_DB_URL');
    const sql = postgres(process.env[name]!, { max: 2, onnotice: () => {} });
    await use(sql);
    await sql.end();
  },
});

export { expect };

/** A fresh shipment in a depot, created as the service role would, so tests never share rows. */
export async function createShipment(
  db: Sql,
  depotId: string,
  options: { driverId?: string; prefix?: string } = {},
): Promise<{ id: string; reference: string }> {
  const reference = `${options.prefix ?? 'E2E'}-${Date.now().toString(36).toUpperCase()}${Math.floor(Math.random() * 1000)}`;
  const [row] = await db<{ id: string; reference: string }[]>`
    insert into shipments (depot_id, reference, recipient, address, status, driver_id)
    values (${depotId}, ${reference}, 'E2E Recipient', '1 Test Street',
            ${options.driverId ? 'assigned' : 'pending'}, ${options.driverId ?? null})
    returning id, reference`;
  return row;
}
