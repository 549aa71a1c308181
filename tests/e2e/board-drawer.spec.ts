// Issue 14, item 4: the drawer. Its timeline follows live changes; focus goes
// back to the card on close; the connection badge stays visible beside it (on
// a phone too); offline, its controls look disabled and say why.
import type { Locator } from '@playwright/test';
import { createShipment, DEPOT, expect, expectLive, showCard, signIn, test, USER } from './fixtures';

/** The element at the centre of `locator` is inside it (nothing covers it). */
async function expectUncovered(locator: Locator) {
  const covered = await locator.evaluate((el) => {
    const box = el.getBoundingClientRect();
    const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return !(top && el.contains(top));
  });
  expect(covered).toBe(false);
}

for (const [label, viewport] of [
  ['desktop', { width: 1280, height: 800 }],
  ['phone', { width: 390, height: 844 }],
] as const) {
  test(`${label}: the timeline updates live, the badge stays visible, and focus returns to the card`, async ({
    browser,
    db,
  }) => {
    const shipment = await createShipment(db, DEPOT.north, { prefix: 'DRW' });
    const page = await signIn(browser, 'dispatcher.north@example.com');
    await page.setViewportSize(viewport);
    await expectLive(page);
    const card = await showCard(page, shipment.reference);
    // Keyboard: the card is a button; Enter opens it and moves focus into the drawer.
    await card.focus();
    await page.keyboard.press('Enter');
    const drawer = page.getByTestId('shipment-drawer');
    await expect(drawer.getByRole('heading', { name: shipment.reference })).toBeFocused();
    const events = drawer.getByTestId('timeline-event');
    await expect(events).toHaveCount(1);
    await expect(events.first()).toContainText('Created');

    // Someone else assigns it: the open drawer's timeline shows it, with no reload.
    await db`update shipments set driver_id = ${USER.driverNorth1}, status = 'assigned' where id = ${shipment.id}`;
    await expect(events).toHaveCount(2);
    await expect(events.first()).toContainText('Pending → Assigned');
    await expect(events.first()).toContainText('assigned to Niko Rivera');
    await expect(page.getByTestId('drawer-status')).toHaveText('Assigned');

    const badge = page.getByTestId('connection-badge');
    await expect(badge).toBeVisible();
    await expect(badge).toBeInViewport();
    await expectUncovered(badge);

    await page.keyboard.press('Escape');
    await expect(drawer).toHaveCount(0);
    await expect(card).toBeFocused();
    await page.context().close();
  });
}

test('offline, the drawer controls are disabled, look disabled and say why; back online they work again', async ({
  browser,
  db,
}) => {
  const shipment = await createShipment(db, DEPOT.north, { prefix: 'DOF' });
  const page = await signIn(browser, 'dispatcher.north@example.com');
  await expectLive(page);
  await (await showCard(page, shipment.reference)).click();
  const select = page.getByTestId('driver-select');
  const look = () =>
    select.evaluate((el) => {
      const style = getComputedStyle(el);
      return { cursor: style.cursor, background: style.backgroundColor, color: style.color };
    });
  await expect(select).toBeEnabled();
  const enabledLook = await look();

  await page.context().setOffline(true);
  await expect(page.getByTestId('connection-badge')).toHaveAttribute('data-state', 'offline');
  const reason = page.getByTestId('drawer-offline');
  await expect(reason).toHaveText(/You are offline\. Changes need the connection/);
  await expect(select).toBeDisabled();
  await expect(page.getByTestId('eta-input')).toBeDisabled();
  await expect(page.getByTestId('move-assigned')).toBeDisabled();
  // The reason is tied to the controls for assistive technology, and they look different.
  await expect(page.getByRole('group', { name: `Change ${shipment.reference}` })).toHaveAttribute(
    'aria-describedby',
    'drawer-offline',
  );
  const disabledLook = await look();
  expect(disabledLook.cursor).toBe('not-allowed');
  expect(disabledLook.background).not.toBe(enabledLook.background);
  expect(disabledLook.color).not.toBe(enabledLook.color);

  await page.context().setOffline(false);
  await expectLive(page);
  await expect(reason).toHaveCount(0);
  await expect(select).toBeEnabled();
  await select.selectOption(USER.driverNorth1);
  await expect(page.getByTestId('drawer-status')).toHaveText('Assigned');
  await expect
    .poll(async () => (await db`select driver_id from shipments where id = ${shipment.id}`)[0].driver_id)
    .toBe(USER.driverNorth1);
  await page.context().close();
});
