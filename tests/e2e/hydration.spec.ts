// Issue 17, item 1: a server snapshot never replaces newer data, whatever the
// browser's clock says. Caches are ordered by the database (seq watermark, row
// versions), so after Back/Forward, depot switches, filter changes and changes
// made while away, every card ends at the database's version, with the
// browser's clock behind or ahead of the server's by seconds or minutes.
import { createShipment, DEPOT, expect, expectLive, signIn, test } from './fixtures';
import type { Page } from '@playwright/test';
import type { Sql } from 'postgres';

const OFFSETS: [string, number][] = [
  ['2 minutes behind', -120_000],
  ['15 seconds behind', -15_000],
  ['15 seconds ahead', 15_000],
  ['5 minutes ahead', 300_000],
];

async function databaseVersion(db: Sql, id: string): Promise<string> {
  const [row] = await db<{ version: number }[]>`select version from shipments where id = ${id}`;
  return String(row.version);
}

async function bump(db: Sql, id: string, minutes: number): Promise<void> {
  await db`update shipments set eta = now() + make_interval(mins => ${minutes}) where id = ${id}`;
}

async function openDepot(page: Page, name: 'North Depot' | 'South Depot'): Promise<void> {
  await page.getByRole('navigation', { name: 'Depots' }).getByRole('link', { name }).click();
  await expect(page.getByRole('navigation', { name: 'Depots' }).getByRole('link', { name })).toHaveAttribute(
    'aria-current',
    'page',
  );
}

for (const [label, offset] of OFFSETS) {
  test(`browser clock ${label}: Back/Forward, depot switches, filters and changes while away end at the database's versions`, async ({
    browser,
    db,
  }) => {
    // A changes once, live, and never again: a snapshot that rolled it back would stay visible.
    // B changes while the board is away, so it can only arrive through a snapshot or the catch-up.
    const a = await createShipment(db, DEPOT.north, { prefix: 'HYA' });
    const b = await createShipment(db, DEPOT.north, { prefix: 'HYB' });
    const page = await signIn(browser, 'dispatcher.hq@example.com', async (p) => {
      await p.clock.install({ time: Date.now() + offset });
    });
    await expect(page).toHaveURL(new RegExp(`/board/${DEPOT.north}`));
    await expectLive(page);
    const cardA = page.getByTestId(`card-${a.reference}`);
    const cardB = page.getByTestId(`card-${b.reference}`);
    const atDatabaseVersions = async () => {
      await expect(cardA).toHaveAttribute('data-version', await databaseVersion(db, a.id));
      await expect(cardB).toHaveAttribute('data-version', await databaseVersion(db, b.id));
    };
    // Searched for, as on a busy board (virtualized columns); the search is part of this page's URL.
    await page.getByTestId('filter-query').fill('HY');
    await expect(cardA).toHaveAttribute('data-version', '1');

    await bump(db, a.id, 10);
    await expect(cardA).toHaveAttribute('data-version', '2');

    // Away to the other depot; B changes meanwhile. Back replays the old server payload.
    await openDepot(page, 'South Depot');
    await expectLive(page);
    await bump(db, b.id, 20);
    await page.goBack();
    await expect(page).toHaveURL(new RegExp(`/board/${DEPOT.north}`));
    await atDatabaseVersions();
    // The feed continues from there: the next change arrives live.
    await bump(db, b.id, 30);
    await atDatabaseVersions();

    // Forward and Back again, with a change while on the other board.
    await page.goForward();
    await expect(page).toHaveURL(new RegExp(`/board/${DEPOT.south}`));
    await bump(db, b.id, 40);
    await page.goBack();
    await expect(page).toHaveURL(new RegExp(`/board/${DEPOT.north}`));
    await atDatabaseVersions();

    // Filter changes (URL state, in the browser since issue 14): nothing moves backwards.
    await page.getByTestId('filter-driver').selectOption('none');
    await expect(page).toHaveURL(/driver=none/);
    await bump(db, b.id, 50);
    await atDatabaseVersions();
    await page.getByTestId('filter-driver').selectOption({ label: 'All drivers' });
    await expect(page).not.toHaveURL(/driver=none/);
    await atDatabaseVersions();

    // A plain switch there and back converges too.
    await openDepot(page, 'South Depot');
    await bump(db, b.id, 60);
    await openDepot(page, 'North Depot');
    await atDatabaseVersions();
    await page.context().close();
  });
}
