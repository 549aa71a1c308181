// Per-shipment notes (the second live feature): a dispatcher and the assigned
// driver talk on a shipment; unread counts show on the board's card and in the
// driver view and clear when read; nobody who cannot see the shipment sees
// its notes.
import { createShipment, DEPOT, expect, expectLive, showCard, signIn, test, USER } from './fixtures';

test('notes between the dispatchers and the assigned driver, live, with unread counts that clear when read', async ({
  browser,
  db,
}) => {
  const shipment = await createShipment(db, DEPOT.north, { driverId: USER.driverNorth1, prefix: 'NOTE' });
  const nora = await signIn(browser, 'dispatcher.north@example.com');
  const hana = await signIn(browser, 'dispatcher.hq@example.com');
  const niko = await signIn(browser, 'driver.north1@example.com');
  const nadia = await signIn(browser, 'driver.north2@example.com');
  for (const page of [nora, hana, niko, nadia]) await expectLive(page);

  // Nora writes on the shipment from its drawer.
  await (await showCard(nora, shipment.reference)).click();
  const drawer = nora.getByTestId('shipment-drawer');
  await drawer.getByTestId('note-input').fill('Gate code is 4411');
  await drawer.getByTestId('note-send').click();
  await expect(drawer.getByTestId('note')).toHaveText([/Gate code is 4411/]);

  // The driver and the other dispatcher get an unread count, live; Nora (the author) none.
  await expect(niko.getByTestId(`driver-unread-${shipment.reference}`)).toHaveAttribute('data-count', '1');
  // (Found by search: after a full run's other tests, the card may lie outside the virtualized column's view.)
  await showCard(hana, shipment.reference);
  await expect(hana.getByTestId(`unread-${shipment.reference}`)).toHaveAttribute('data-count', '1');
  await expect(nora.getByTestId(`unread-${shipment.reference}`)).toHaveCount(0);

  // Niko reads it (the count clears) and answers.
  await niko.getByTestId(`notes-toggle-${shipment.reference}`).click();
  const thread = niko.getByTestId('note-thread');
  await expect(thread.getByTestId('note')).toHaveText([/Gate code is 4411.*Nora Quinn/s]);
  await expect(niko.getByTestId(`driver-unread-${shipment.reference}`)).toHaveCount(0);
  await thread.getByTestId('note-input').fill('Thanks, on my way');
  await thread.getByTestId('note-send').click();

  // Nora has the thread open: she sees the answer and it counts as read; Hana now has two unread.
  await expect(drawer.getByTestId('note')).toHaveText([/Gate code/, /Thanks, on my way.*Niko Rivera/s]);
  await expect(hana.getByTestId(`unread-${shipment.reference}`)).toHaveAttribute('data-count', '2');
  await nora.getByRole('button', { name: 'Close details' }).click();
  await expect(nora.getByTestId(`unread-${shipment.reference}`)).toHaveCount(0);

  // Empty notes are refused in the browser and by the database alike.
  await thread.getByTestId('note-input').fill('   ');
  await thread.getByTestId('note-send').click();
  await expect(niko.getByTestId('note-error')).toContainText('Write something first');

  // Persisted: a reload shows the same thread and counts.
  await hana.reload();
  await expect(hana.getByTestId(`unread-${shipment.reference}`)).toHaveAttribute('data-count', '2');

  // Reassigned to Nadia: the thread follows the shipment; Niko no longer sees it.
  await db`update shipments set driver_id = ${USER.driverNorth2} where id = ${shipment.id}`;
  await expect(niko.getByTestId(`driver-shipment-${shipment.reference}`)).toHaveCount(0);
  await expect(nadia.getByTestId(`driver-unread-${shipment.reference}`)).toHaveAttribute('data-count', '2');
  const [{ visible }] = await db`
    select count(*)::int as visible from shipment_notes where shipment_id = ${shipment.id}`;
  expect(visible).toBe(2);
  for (const page of [nora, hana, niko, nadia]) await page.context().close();
});
