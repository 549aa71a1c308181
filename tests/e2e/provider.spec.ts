// The provider swap end to end: the same app and components, built with
// NEXT_PUBLIC_REALTIME_PROVIDER=pusher, against the Pusher protocol test
// server, with changes fanned out by the outbox relay.
import { createShipment, DEPOT, expect, expectLive, showCard, signIn, test, USER } from './fixtures';

test('a driver advances a shipment and the dispatcher sees it live over Pusher; the other depot never does', async ({
  browser,
  db,
}) => {
  const shipment = await createShipment(db, DEPOT.north, { driverId: USER.driverNorth1 });
  const sockets: string[] = [];
  const north = await signIn(browser, 'dispatcher.north@example.com', async (page) => {
    page.on('websocket', (ws) => sockets.push(ws.url()));
  });
  const south = await signIn(browser, 'dispatcher.south@example.com');
  await expectLive(north);
  await expectLive(south);
  // Found by search, as on a busy board (the columns are virtualized).
  const card = await showCard(north, shipment.reference);
  await expect(card).toHaveAttribute('data-status', 'assigned');

  const driver = await signIn(browser, 'driver.north1@example.com');
  await expectLive(driver);
  await driver.getByTestId(`advance-${shipment.reference}`).click();
  await expect(driver.getByTestId(`driver-shipment-${shipment.reference}`)).toHaveAttribute('data-status', 'picked_up');

  await expect(north.getByTestId('column-picked_up').getByTestId(`card-${shipment.reference}`)).toBeVisible();
  await expect(south.getByTestId(`card-${shipment.reference}`)).toHaveCount(0);

  // Presence over Pusher: the dispatcher sees the driver online.
  await expect(north.getByTestId('presence-list')).toContainText('Niko Rivera');
  // The page really talks to Pusher (protocol 7), not to Supabase Realtime.
  expect(sockets.some((url) => /\/app\/e2e-pusher-key\?protocol=7/.test(url))).toBe(true);
  expect(sockets.some((url) => url.includes('/realtime/v1/websocket'))).toBe(false);
});
