// The driver's offline queue in a real browser: actions taken offline are kept
// in IndexedDB, shown as pending on their cards, survive closing the tab, and
// are replayed in order, each version-guarded, when the app is opened online;
// a dispatcher's change made meanwhile stands and the driver is told.
import type { Page } from '@playwright/test';
import { USER } from '../support/seed-ids';
import { dispatcherClient, dispatcherUpdate, driverMoves, driverShipment, historyOf } from './driver-fixtures';
import { expect, expectLive, signIn, test } from './fixtures';

const DRIVER = 'driver.north1@example.com';

/** Taps a card's action once its buttons have settled (the lock after a tap). */
async function tap(page: Page, name: string): Promise<void> {
  const button = page.getByRole('button', { name, exact: true });
  await expect(button).toBeEnabled();
  await button.tap();
}

test('offline: three actions, tab closed, back online, app opened: applied in order with the right seq and versions', async ({
  browser,
  db,
}) => {
  const a = await driverShipment(db);
  const b = await driverShipment(db);
  const driver = await signIn(browser, DRIVER);
  await expectLive(driver);
  const context = driver.context();

  await context.setOffline(true);
  await expect(driver.getByTestId('connection-badge')).toHaveAttribute('data-state', 'offline');
  await tap(driver, `Mark picked up ${a.reference}`);
  await tap(driver, `Mark picked up ${b.reference}`);
  await tap(driver, `Start driving ${a.reference}`);

  // Shown as pending on each card, the cards already in the state the driver expects.
  const cardA = driver.getByTestId(`driver-shipment-${a.reference}`);
  await expect(cardA).toHaveAttribute('data-pending', '2');
  await expect(cardA).toHaveAttribute('data-status', 'in_transit');
  await expect(driver.getByTestId(`pending-${a.reference}`)).toContainText(
    'Not sent yet (Mark picked up, Start driving)',
  );
  await expect(driver.getByTestId(`driver-shipment-${b.reference}`)).toHaveAttribute('data-pending', '1');
  await expect(driver.getByTestId('queue-banner')).toContainText(
    'You are offline. 3 actions are saved on this phone, also if you close the app,',
  );
  expect(await driverMoves(db, [a.id, b.id])).toEqual([]);

  await driver.close();
  await context.setOffline(false);
  const reopened = await context.newPage();
  await reopened.goto('/driver');

  await expect(reopened.getByTestId(`driver-shipment-${a.reference}`)).toHaveAttribute('data-pending', '0');
  await expect(reopened.getByTestId(`driver-shipment-${b.reference}`)).toHaveAttribute('data-pending', '0');
  await expect(reopened.getByTestId('notice').locator('p')).toHaveText(
    'The 3 actions you took offline were sent and saved, in order.',
  );
  await expect(reopened.getByTestId(`status-${a.reference}`)).toHaveText('Status: In transit');
  await expect(reopened.getByTestId(`status-${b.reference}`)).toHaveText('Status: Picked up');

  const moves = await driverMoves(db, [a.id, b.id]);
  expect(moves.map((m) => [m.shipment_id, m.version, m.status])).toEqual([
    [a.id, a.version + 1, 'picked_up'],
    [b.id, b.version + 1, 'picked_up'],
    [a.id, a.version + 2, 'in_transit'],
  ]);
  // Seq is the depot's commit order: increasing, in the order the driver acted.
  const seqs = moves.map((m) => m.seq);
  expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  expect(new Set(seqs).size).toBe(3);
  // The queue on the device is empty (IndexedDB), so nothing is sent twice on the next visit.
  await reopened.reload();
  await expect(reopened.getByTestId(`driver-shipment-${a.reference}`)).toHaveAttribute('data-status', 'in_transit');
  await expect(reopened.getByTestId('queue-banner')).toHaveCount(0);
  expect(await driverMoves(db, [a.id, b.id])).toHaveLength(3);
});

test("a dispatcher's change while the driver is offline stands; the driver sees the conflict and the actions built on it are not sent", async ({
  browser,
  db,
}) => {
  const cancelled = await driverShipment(db);
  const rescheduled = await driverShipment(db);
  const driver = await signIn(browser, DRIVER);
  await expectLive(driver);
  await driver.context().setOffline(true);
  await expect(driver.getByTestId('connection-badge')).toHaveAttribute('data-state', 'offline');
  await tap(driver, `Mark picked up ${cancelled.reference}`);
  await tap(driver, `Start driving ${cancelled.reference}`);
  await tap(driver, `Mark picked up ${rescheduled.reference}`);

  // Meanwhile the dispatcher cancels one and gives the other a new ETA.
  const dispatcher = await dispatcherClient();
  await dispatcherUpdate(dispatcher, cancelled, { status: 'cancelled' });
  await dispatcherUpdate(dispatcher, rescheduled, { eta: '2030-01-01T12:00:00Z' });

  await driver.context().setOffline(false);
  const notice = driver.getByTestId('notice').filter({ hasText: cancelled.reference });
  await expect(notice.filter({ hasText: 'A dispatcher changed it first' }).locator('p')).toHaveText(
    `${cancelled.reference}: “Mark picked up” was not applied. A dispatcher changed it first (now Cancelled); their change stands.`,
  );
  await expect(notice.filter({ hasText: 'was not sent' }).locator('p')).toHaveText(
    `${cancelled.reference}: “Start driving” was not sent, because “Mark picked up” before it was not applied.`,
  );
  await expect(driver.getByTestId(`driver-finished-${cancelled.reference}`)).toHaveAttribute(
    'data-status',
    'cancelled',
  );
  // A change that touched nothing the driver changed does not cost the driver their pickup.
  await expect(driver.getByTestId(`driver-shipment-${rescheduled.reference}`)).toHaveAttribute('data-pending', '0');
  await expect(driver.getByTestId(`status-${rescheduled.reference}`)).toHaveText('Status: Picked up');

  const [row] = await db`select status, version from shipments where id = ${cancelled.id}`;
  expect(row).toEqual({ status: 'cancelled', version: cancelled.version + 1 });
  expect(await driverMoves(db, [cancelled.id])).toEqual([]);
  const rescheduledHistory = await historyOf(db, [rescheduled.id]);
  expect(rescheduledHistory.slice(-2).map((e) => [e.actor_id, e.status, e.version])).toEqual([
    [USER.dispatcherNorth, 'assigned', rescheduled.version + 1],
    [USER.driverNorth1, 'picked_up', rescheduled.version + 2],
  ]);
  const [eta] = await db`select eta from shipments where id = ${rescheduled.id}`;
  expect(new Date(eta.eta).toISOString()).toBe('2030-01-01T12:00:00.000Z');
});

test('a shipment reassigned away while the driver is offline: the queued action is dropped, the driver is told why, the other driver has it untouched', async ({
  browser,
  db,
}) => {
  const s = await driverShipment(db);
  const driver = await signIn(browser, DRIVER);
  await expectLive(driver);
  await driver.context().setOffline(true);
  await expect(driver.getByTestId('connection-badge')).toHaveAttribute('data-state', 'offline');
  await tap(driver, `Mark picked up ${s.reference}`);
  await expect(driver.getByTestId(`driver-shipment-${s.reference}`)).toHaveAttribute('data-pending', '1');

  const dispatcher = await dispatcherClient();
  await dispatcherUpdate(dispatcher, s, { driver_id: USER.driverNorth2 });

  await driver.context().setOffline(false);
  await expect(driver.getByTestId('notice').filter({ hasText: 'no longer yours' }).locator('p')).toHaveText(
    `${s.reference}: “Mark picked up” was not applied: it was reassigned and is no longer yours.`,
  );
  await expect(driver.getByTestId(`driver-shipment-${s.reference}`)).toHaveCount(0);
  await expect(driver.getByTestId('queue-banner')).toHaveCount(0);

  const [row] = await db`select status, driver_id, version from shipments where id = ${s.id}`;
  expect(row).toEqual({ status: 'assigned', driver_id: USER.driverNorth2, version: s.version + 1 });
  expect(await driverMoves(db, [s.id])).toEqual([]);
});
