// The driver app on a phone (390×844, touch), production build, dev stack:
// one move per intent, the undo window, "Couldn't deliver" with a reason
// reaching the dispatcher, notices for shipments that come and go, and GPS
// problems explained. The offline queue: driver-offline.spec.ts.
import { fetchShipmentHistory } from '../../lib/shipments/queries';
import { USER } from '../support/seed-ids';
import { dispatcherClient, dispatcherUpdate, driverMoves, driverShipment, historyOf } from './driver-fixtures';
import { expect, expectLive, signIn, test } from './fixtures';

const DRIVER = 'driver.north1@example.com';

test('a double tap makes one move: two taps 450 ms apart, and a fast double tap, each leave exactly one history row', async ({
  browser,
  db,
}) => {
  const slow = await driverShipment(db);
  const fast = await driverShipment(db);
  const driver = await signIn(browser, DRIVER);
  await expectLive(driver);

  // Each card's buttons have their own accessible name: the verb, then the shipment.
  const slowButton = driver.getByRole('button', { name: `Mark picked up ${slow.reference}`, exact: true });
  const fastButton = driver.getByRole('button', { name: `Mark picked up ${fast.reference}`, exact: true });
  await expect(slowButton).toBeEnabled();
  await expect(driver.getByTestId(`status-${slow.reference}`)).toHaveText('Status: Assigned');

  // Two taps 450 ms apart on the same spot (the issue's case: it used to go on to In transit).
  await slowButton.scrollIntoViewIfNeeded();
  const box = (await slowButton.boundingBox())!;
  await driver.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
  await driver.waitForTimeout(450); // the gap between the two taps is what is tested
  await driver.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
  // And two clicks in one double click.
  await fastButton.dblclick();

  for (const s of [slow, fast]) {
    const card = driver.getByTestId(`driver-shipment-${s.reference}`);
    await expect(card).toHaveAttribute('data-pending', '0');
    await expect(card).toHaveAttribute('data-status', 'picked_up');
    // Settled: the next step is offered again, and nothing else was queued or sent.
    await expect(driver.getByRole('button', { name: `Start driving ${s.reference}`, exact: true })).toBeEnabled();
    await expect(driver.getByTestId(`status-${s.reference}`)).toHaveText('Status: Picked up');
  }
  const moves = await driverMoves(db, [slow.id, fast.id]);
  expect(moves.map((m) => [m.version, m.status])).toEqual([
    [slow.version + 1, 'picked_up'],
    [fast.version + 1, 'picked_up'],
  ]);
});

test('Mark delivered waits out an undo window: Undo leaves it in transit with no history row; the next tap delivers once', async ({
  browser,
  db,
}) => {
  const s = await driverShipment(db, 'in_transit');
  const driver = await signIn(browser, DRIVER);
  await expectLive(driver);
  const card = driver.getByTestId(`driver-shipment-${s.reference}`);

  await driver.getByRole('button', { name: `Mark delivered ${s.reference}`, exact: true }).click();
  await expect(driver.getByTestId(`pending-${s.reference}`)).toContainText(/Mark delivered: sending in [1-5] s/);
  await expect(card).toHaveAttribute('data-status', 'delivered');
  await driver.getByRole('button', { name: `Undo Mark delivered for ${s.reference}` }).click();
  await expect(card).toHaveAttribute('data-pending', '0');
  await expect(card).toHaveAttribute('data-status', 'in_transit');
  expect(await driverMoves(db, [s.id])).toEqual([]);

  await driver.getByRole('button', { name: `Mark delivered ${s.reference}`, exact: true }).click();
  await expect(driver.getByTestId(`driver-finished-${s.reference}`)).toHaveAttribute('data-status', 'delivered', {
    timeout: 15_000,
  });
  const moves = await driverMoves(db, [s.id]);
  expect(moves.map((m) => [m.version, m.status])).toEqual([[s.version + 1, 'delivered']]);
});

test("Couldn't deliver: the driver gives a reason, the dispatcher's board gets the failure with it", async ({
  browser,
  db,
}) => {
  const s = await driverShipment(db, 'in_transit');
  // Everything the board's sockets receive (text or binary frames): the live data the board renders from.
  const frames: string[] = [];
  const board = await signIn(browser, 'dispatcher.north@example.com', async (page) => {
    page.on('websocket', (ws) =>
      ws.on('framereceived', (f) => frames.push(f.payload.toString().replace(/":\s+/g, '":'))),
    );
  });
  await expectLive(board);
  await expect(board.getByTestId(`card-${s.reference}`)).toHaveAttribute('data-status', 'in_transit');

  const driver = await signIn(browser, DRIVER);
  await expectLive(driver);
  const couldNot = driver.getByRole('button', { name: `Couldn't deliver ${s.reference}`, exact: true });
  const form = driver.getByTestId(`failure-form-${s.reference}`);
  // Opening the form moves focus to the first reason; Back returns it to the button.
  await couldNot.click();
  await expect(form.getByRole('radio', { name: 'Recipient not there' })).toBeFocused();
  await form.getByRole('button', { name: 'Back' }).click();
  await expect(form).toHaveCount(0);
  await expect(couldNot).toBeFocused();
  await couldNot.click();
  await expect(form.getByRole('group', { name: `Why couldn't you deliver ${s.reference}?` })).toBeVisible();
  // Nothing chosen, then Other without a note: said plainly, nothing sent.
  await form.getByRole('button', { name: /Report failed delivery/ }).click();
  await expect(form.getByRole('alert')).toHaveText('Choose why you could not deliver it.');
  await form.getByRole('radio', { name: 'Other' }).check();
  await form.getByRole('button', { name: /Report failed delivery/ }).click();
  await expect(form.getByRole('alert')).toHaveText('Say what happened in the note.');
  await form.getByRole('radio', { name: 'Refused by the recipient' }).check();
  await form.getByLabel('Note (optional)').fill('Said they never ordered it');
  await form.getByRole('button', { name: /Report failed delivery/ }).click();
  await expect(driver.getByTestId(`pending-${s.reference}`)).toContainText("Couldn't deliver: sending in");

  // After the undo window: on the board, live, with the reason in the change it received.
  await expect(board.getByTestId(`card-${s.reference}`)).toHaveAttribute('data-status', 'failed', { timeout: 15_000 });
  const failedChange = frames.find(
    (f) => f.includes(`"id":"${s.id}"`) && f.includes('"status":"failed"') && f.includes('"changed"'),
  );
  expect(failedChange).toContain('"failure_reason":"refused"');
  expect(failedChange).toContain('"failure_note":"Said they never ordered it"');
  // The board's alert and the drawer say why, as the driver put it.
  await expect(board.getByTestId(`alert-${s.reference}`)).toContainText(
    'Refused by the recipient: Said they never ordered it',
  );
  await board.getByRole('button', { name: `Open ${s.reference}: delivery failed` }).click();
  await expect(board.getByTestId('drawer-failed')).toContainText(
    'Delivery failed: Refused by the recipient: Said they never ordered it.',
  );
  await expect(driver.getByTestId(`driver-finished-${s.reference}`)).toContainText(
    'Failed · Refused by the recipient: Said they never ordered it',
  );

  // The history has it, as the driver's move, once.
  const moves = await driverMoves(db, [s.id]);
  expect(moves).toEqual([
    expect.objectContaining({
      version: s.version + 1,
      status: 'failed',
      failure_reason: 'refused',
      failure_note: 'Said they never ordered it',
    }),
  ]);
  // And the dispatcher reads it through the API as themselves (RLS).
  const dispatcher = await dispatcherClient();
  const { data } = await dispatcher
    .from('shipments')
    .select('status, failure_reason, failure_note')
    .eq('id', s.id)
    .single();
  expect(data).toEqual({ status: 'failed', failure_reason: 'refused', failure_note: 'Said they never ordered it' });
  // The history the board's drawer reads (newest first) carries it too, on the driver's change.
  const [latest] = await fetchShipmentHistory(dispatcher, s.id);
  expect(latest).toMatchObject({
    status: 'failed',
    actor_id: USER.driverNorth1,
    failure_reason: 'refused',
    failure_note: 'Said they never ordered it',
  });
});

test('notices: a shipment reassigned away is announced, not silently gone; a new assignment is announced too', async ({
  browser,
  db,
}) => {
  const leaving = await driverShipment(db);
  const driver = await signIn(browser, DRIVER);
  await expectLive(driver);
  await expect(driver.getByTestId(`driver-shipment-${leaving.reference}`)).toBeVisible();

  const dispatcher = await dispatcherClient();
  await dispatcherUpdate(dispatcher, leaving, { driver_id: USER.driverNorth2 });
  await expect(driver.getByTestId('notice').filter({ hasText: leaving.reference }).locator('p')).toHaveText(
    `${leaving.reference} was reassigned to another driver.`,
  );
  await expect(driver.getByTestId(`driver-shipment-${leaving.reference}`)).toHaveCount(0);

  const [arriving] = await db<{ id: string; reference: string }[]>`
    insert into shipments (depot_id, reference, recipient, address)
    values ('d0000000-0000-4000-8000-000000000001', ${`DRV-NEW-${Date.now().toString(36).toUpperCase()}`},
            'Ada Moreau', '12 Mill Lane')
    returning id, reference`;
  await dispatcherUpdate(dispatcher, arriving, { driver_id: USER.driverNorth1 });
  await expect(driver.getByTestId('notice').filter({ hasText: arriving.reference }).locator('p')).toHaveText(
    `New assignment: ${arriving.reference}, Ada Moreau, 12 Mill Lane.`,
  );
  await expect(driver.getByTestId(`driver-shipment-${arriving.reference}`)).toBeVisible();
  // A notice stays until dismissed.
  await driver
    .getByTestId('notice')
    .filter({ hasText: arriving.reference })
    .getByRole('button', { name: 'Dismiss this notice' })
    .click();
  await expect(driver.getByTestId('notice').filter({ hasText: arriving.reference })).toHaveCount(0);
  expect((await historyOf(db, [leaving.id])).at(-1)).toMatchObject({ actor_id: USER.dispatcherNorth });
});

test('GPS: a denied permission is explained with what to do; an allowed one shares the position', async ({
  browser,
}) => {
  const driver = await signIn(browser, DRIVER);
  await expectLive(driver);
  await driver.getByTestId('position-device').click();
  const problem = driver.getByTestId('location-problem');
  await expect(problem).toHaveAttribute('data-kind', 'denied');
  await expect(problem).toContainText('Location access is blocked for this site.');
  await expect(problem).toContainText('Allow location for this site in your browser');

  await driver.context().grantPermissions(['geolocation']);
  await driver.context().setGeolocation({ latitude: 53.4808, longitude: -2.2426 });
  await driver.getByTestId('position-off').click();
  await driver.getByTestId('position-device').click();
  await expect(problem).toHaveCount(0);
  await expect(driver.getByText('Sharing 53.4808, -2.2426')).toBeVisible();
});
