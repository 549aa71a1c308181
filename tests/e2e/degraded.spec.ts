// Degraded mode end to end (issue 16 item 1): a network that blocks
// WebSockets. The board cannot open its realtime socket, so after the bound it
// polls the record, says "Live updates limited — checking every N s", shows a
// committed change within that interval, and goes live again when sockets are
// allowed. Runs on the Supabase, Pusher and Ably builds (see playwright.config.ts).
import type { Page } from '@playwright/test';
import { createShipment, DEPOT, expect, showCard, signIn, test, USER } from './fixtures';

/** The realtime sockets of the three builds: Supabase Realtime's endpoint, Pusher's /app/<key>, Ably's /?access_token=. */
const REALTIME_SOCKET = /\/realtime\/v1\/websocket|\/app\/[^/?]+\?protocol=|[?&]access_token=/;

/** Blocks the page's realtime sockets while `blocked()` is true: each closes before it opens, as behind a filtering proxy. */
async function blockRealtimeSockets(page: Page, blocked: () => boolean): Promise<string[]> {
  const refused: string[] = [];
  await page.routeWebSocket(REALTIME_SOCKET, async (ws) => {
    if (blocked()) {
      refused.push(ws.url());
      await ws.close({ code: 1006, reason: 'WebSockets are blocked' });
    } else ws.connectToServer();
  });
  return refused;
}

test('with WebSockets blocked the board polls, shows a committed change within the stated interval, and goes live when they are allowed', async ({
  browser,
  db,
}) => {
  test.setTimeout(240_000);
  const shipment = await createShipment(db, DEPOT.north, { driverId: USER.driverNorth1 });
  let blocked = true;
  let refused: string[] = [];
  const north = await signIn(browser, 'dispatcher.north@example.com', async (page) => {
    refused = await blockRealtimeSockets(page, () => blocked);
  });
  const badge = north.getByTestId('connection-badge');
  // Found by search, as on a busy board (the columns are virtualized).
  const card = await showCard(north, shipment.reference);
  await expect(card).toHaveAttribute('data-status', 'assigned');

  // Not live within the bound (10 s): the badge says it polls, and how often.
  await expect(badge).toContainText(/Live updates limited — checking every \d+ s/, { timeout: 30_000 });
  expect(refused.length).toBeGreaterThan(0);
  await expect(badge).not.toHaveAttribute('data-state', 'connected');

  // A change committed now reaches the board within the interval the badge states (plus a request's time).
  const stated = Number(/checking every (\d+) s/.exec((await badge.textContent()) ?? '')?.[1]);
  expect(stated).toBeGreaterThanOrEqual(5);
  const polling = Number(await badge.getAttribute('data-polling'));
  expect(polling).toBe(stated * 1000);
  const committed = Date.now();
  await db`update shipments set status = 'picked_up' where id = ${shipment.id}`;
  await expect(card).toHaveAttribute('data-status', 'picked_up', { timeout: stated * 1000 + 3_000 });
  expect(Date.now() - committed).toBeLessThan(stated * 1000 + 3_000);
  // Still not live: the change came through polling, once.
  await expect(badge).toContainText('Live updates limited');
  await expect(north.getByTestId(`card-${shipment.reference}`)).toHaveCount(1);

  // Sockets allowed again: the provider client reconnects on its own schedule (supabase-js backs off up to
  // 10 s; pusher-js waits out its attempt timeout, 15 s doubling to 60 s; ably-js retries every 15 s), the badge
  // says Live, polling stops.
  const refusedBefore = refused.length;
  blocked = false;
  await expect(badge).toHaveAttribute('data-state', 'connected', { timeout: 90_000 });
  expect(refused.length).toBe(refusedBefore);
  await expect(badge).toContainText('Live');
  await expect(badge).not.toContainText('Live updates limited');
  await expect(badge).not.toHaveAttribute('data-polling');

  // And the next change arrives over the socket, not a poll (none runs now), exactly once.
  const second = await createShipment(db, DEPOT.north, { driverId: USER.driverNorth1 });
  const secondCard = await showCard(north, second.reference);
  await db`update shipments set status = 'picked_up' where id = ${second.id}`;
  await expect(secondCard).toHaveAttribute('data-status', 'picked_up', { timeout: 10_000 });
  await expect(north.getByTestId(`card-${second.reference}`)).toHaveCount(1);
  await expect(badge).toHaveAttribute('data-state', 'connected');
});
