// The dispatch board end to end: production build, dev stack, real Chromium,
// several signed-in people at once.
import { createShipment, DEPOT, expect, expectLive, showCard, signIn, test, USER } from './fixtures';

test('a driver advances a shipment and the dispatcher sees it live, without reload; the other depot never does', async ({
  browser,
  db,
}) => {
  const shipment = await createShipment(db, DEPOT.north, { driverId: USER.driverNorth1 });
  const north = await signIn(browser, 'dispatcher.north@example.com');
  const south = await signIn(browser, 'dispatcher.south@example.com');
  await expectLive(north);
  await expectLive(south);
  const card = await showCard(north, shipment.reference);
  await expect(card).toHaveAttribute('data-status', 'assigned');

  const driver = await signIn(browser, 'driver.north1@example.com');
  await expectLive(driver);
  await driver.getByTestId(`advance-${shipment.reference}`).click();
  await expect(driver.getByTestId(`driver-shipment-${shipment.reference}`)).toHaveAttribute('data-status', 'picked_up');

  // Same page, no navigation: the card moved columns through the live feed.
  await expect(north.getByTestId('column-picked_up').getByTestId(`card-${shipment.reference}`)).toBeVisible();
  // A routine change is not announced (only exceptions are: board-exceptions.spec.ts).
  await expect(north.getByTestId('announcer')).toHaveText('');
  const [row] = await db`select status from shipments where id = ${shipment.id}`;
  expect(row.status).toBe('picked_up');

  // South's board never shows a North shipment, live or not: searching for it finds nothing.
  await south.getByTestId('filter-query').fill(shipment.reference);
  await expect(south.getByTestId('empty-results')).toBeVisible();
  await south.reload();
  await expect(south.getByTestId('board-count')).toBeVisible();
  await expect(south.getByTestId('empty-results')).toBeVisible();
  await expect(south.getByTestId(`card-${shipment.reference}`)).toHaveCount(0);
});

test('two dispatchers see each other online and what each is viewing', async ({ browser, db }) => {
  const shipment = await createShipment(db, DEPOT.north);
  const nora = await signIn(browser, 'dispatcher.north@example.com');
  const hana = await signIn(browser, 'dispatcher.hq@example.com');
  await hana.goto(`/board/${DEPOT.north}`);
  await expectLive(nora);
  await expectLive(hana);
  await expect(nora.getByTestId('presence-list')).toContainText('Hana Lindqvist');
  await expect(hana.getByTestId('presence-list')).toContainText('Nora Quinn');

  await (await showCard(hana, shipment.reference)).click();
  await expect(hana.getByTestId('shipment-drawer')).toBeVisible();
  await expect((await showCard(nora, shipment.reference)).getByTestId('viewing-marker')).toContainText(
    'Hana Lindqvist',
  );

  // Editing: Hana focuses a control; Nora opening the same shipment is warned.
  await hana.getByTestId('driver-select').focus();
  await expect(nora.getByTestId(`card-${shipment.reference}`).getByTestId('editing-marker')).toContainText(
    'Hana Lindqvist',
  );
  await nora.getByTestId(`card-${shipment.reference}`).click();
  await expect(nora.getByTestId('editing-warning')).toContainText('Hana Lindqvist is editing this shipment');

  // Leaving: closing Hana's tab removes her from Nora's list.
  await hana.context().close();
  await expect(nora.getByTestId('presence-list')).not.toContainText('Hana Lindqvist', { timeout: 30_000 });
});

test('connection drops, changes happen meanwhile, and the board converges when it returns', async ({ browser, db }) => {
  const shipment = await createShipment(db, DEPOT.north);
  const north = await signIn(browser, 'dispatcher.north@example.com');
  await expectLive(north);
  const badge = north.getByTestId('connection-badge');
  const card = await showCard(north, shipment.reference);

  await north.context().setOffline(true);
  await expect(badge).toHaveAttribute('data-state', 'offline');
  await expect(badge).toContainText('Offline');

  // Changes while this tab is offline: it cannot have received them live.
  await db`update shipments set driver_id = ${USER.driverNorth2} where id = ${shipment.id}`;
  await db`update shipments set status = 'picked_up' where id = ${shipment.id}`;

  await north.context().setOffline(false);
  await expect(badge).toHaveAttribute('data-state', /reconnecting|connected/);
  await expectLive(north);
  await expect(card).toHaveAttribute('data-status', 'picked_up');
  await expect(card).toContainText('Nadia Brooks');
  const [row] = await db`select version from shipments where id = ${shipment.id}`;
  await expect(card).toHaveAttribute('data-version', String(row.version));
});

test('handoff: a change committed between the server render and the subscription is applied', async ({
  browser,
  db,
}) => {
  const shipment = await createShipment(db, DEPOT.north);
  // Hold this tab's change-feed subscription back for 6 s after the board mounts.
  const north = await signIn(browser, 'dispatcher.north@example.com', async (page) => {
    await page.addInitScript(() => window.localStorage.setItem('switchboard:subscribeDelayMs', '6000'));
  });
  const rendered = Date.now();
  const card = await showCard(north, shipment.reference);
  await expect(card).toHaveAttribute('data-status', 'pending');
  // Rendered, not yet subscribed: this change can only arrive through the catch-up.
  await db`update shipments set driver_id = ${USER.driverNorth1} where id = ${shipment.id}`;
  expect(Date.now() - rendered).toBeLessThan(5_000);
  await expect(card).toHaveAttribute('data-status', 'assigned', { timeout: 20_000 });
  await expectLive(north);
});

test('a refused change rolls back and says why', async ({ browser, db }) => {
  const shipment = await createShipment(db, DEPOT.north);
  // A tab that never subscribes (delay longer than the test) cannot learn of the other change.
  const north = await signIn(browser, 'dispatcher.north@example.com', async (page) => {
    await page.addInitScript(() => window.localStorage.setItem('switchboard:subscribeDelayMs', '60000'));
  });
  await (await showCard(north, shipment.reference)).click();
  await expect(north.getByTestId('drawer-status')).toHaveText('Pending');
  // Someone else cancels it meanwhile.
  await db`update shipments set status = 'cancelled' where id = ${shipment.id}`;

  await north.getByTestId('driver-select').selectOption(USER.driverNorth1);
  await expect(north.getByTestId('update-error')).toContainText(`Someone else changed ${shipment.reference} first`);
  // Rolled back to what the database says, not left showing the optimistic guess.
  await expect(north.getByTestId('drawer-status')).toHaveText('Cancelled');
  const [row] = await db`select status, driver_id from shipments where id = ${shipment.id}`;
  expect(row).toEqual({ status: 'cancelled', driver_id: null });
});

test('a change the database refuses is rolled back with its reason', async ({ browser, db }) => {
  const shipment = await createShipment(db, DEPOT.north);
  const north = await signIn(browser, 'dispatcher.north@example.com');
  await expectLive(north);
  await (await showCard(north, shipment.reference)).click();
  await expect(north.getByTestId('drawer-status')).toHaveText('Pending');
  // Nadia leaves the depot; the board's driver list still offers her.
  await db`delete from depot_members where user_id = ${USER.driverNorth2} and depot_id = ${DEPOT.north}`;
  try {
    await north.getByTestId('driver-select').selectOption(USER.driverNorth2);
    await expect(north.getByTestId('update-error')).toContainText('The assigned user is not a driver of this depot');
    await expect(north.getByTestId('driver-select')).toHaveValue('');
    await expect(north.getByTestId('drawer-status')).toHaveText('Pending');
    const [row] = await db`select status, driver_id from shipments where id = ${shipment.id}`;
    expect(row).toEqual({ status: 'pending', driver_id: null });
  } finally {
    await db`insert into depot_members (depot_id, user_id) values (${DEPOT.north}, ${USER.driverNorth2}) on conflict do nothing`;
  }
});

test('with 20-second access tokens the board keeps receiving updates for 60 seconds', async ({ browser, db }) => {
  test.setTimeout(150_000);
  const north = await signIn(browser, 'dispatcher.north@example.com');
  await expectLive(north);
  const shipment = await createShipment(db, DEPOT.north);
  const card = await showCard(north, shipment.reference);
  const started = Date.now();
  let round = 0;
  while (Date.now() - started < 60_000) {
    round += 1;
    await db`update shipments set eta = now() + make_interval(mins => ${round}) where id = ${shipment.id}`;
    const [row] = await db`select version from shipments where id = ${shipment.id}`;
    await expect(card).toHaveAttribute('data-version', String(row.version), { timeout: 15_000 });
    await north.waitForTimeout(4_000);
  }
  expect(round).toBeGreaterThanOrEqual(10);
  await expectLive(north);
});
