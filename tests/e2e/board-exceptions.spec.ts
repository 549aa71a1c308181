// Issue 14, item 3: exceptions first. Late and at-risk flags with a filter;
// failed deliveries as alerts scoped to their shipment that clear when the
// shipment leaves "failed"; a brief highlight on cards a live change touched
// (a still outline instead of the animation for prefers-reduced-motion); the
// live region speaks exceptions only.
import type { Locator } from '@playwright/test';
import { DEPOT, expect, expectLive, showCard, signIn, test, USER } from './fixtures';

const unique = () => `X${Date.now().toString(36).toUpperCase()}${Math.floor(Math.random() * 100)}`;

/** The card's outer shell (the checkbox and the button share it), where the highlight lives. */
const shell = (card: Locator) => card.locator('xpath=..');

test('late and at-risk shipments carry a flag, and the flag filter shows only them', async ({ browser, db }) => {
  const prefix = unique();
  const [late, atRisk, onTime] = await db<{ id: string; reference: string }[]>`
    insert into shipments (depot_id, reference, recipient, address, eta)
    values (${DEPOT.north}, ${`${prefix}-LATE`}, 'Late Recipient', '1 Late Lane', now() - interval '2 hours 5 minutes'),
           (${DEPOT.north}, ${`${prefix}-RISK`}, 'Risk Recipient', '2 Risk Road', now() + interval '30 minutes'),
           (${DEPOT.north}, ${`${prefix}-FINE`}, 'Fine Recipient', '3 Fine Way', now() + interval '5 hours')
    returning id, reference`;
  const page = await signIn(browser, 'dispatcher.north@example.com');
  await expectLive(page);

  const lateCard = await showCard(page, late.reference);
  await expect(lateCard).toHaveAttribute('data-flag', 'late');
  await expect(lateCard.getByTestId('flag')).toHaveText(/^2 h (4|5|6) min late$/);
  const riskCard = await showCard(page, atRisk.reference);
  await expect(riskCard).toHaveAttribute('data-flag', 'at_risk');
  await expect(riskCard.getByTestId('flag')).toHaveText('At risk');
  const fineCard = await showCard(page, onTime.reference);
  await expect(fineCard).not.toHaveAttribute('data-flag', /.+/);
  await expect(fineCard.getByTestId('flag')).toHaveCount(0);

  // All three match the prefix; the late filter keeps only the late one, and says so in the URL.
  await page.getByTestId('filter-query').fill(prefix);
  await expect(page.getByTestId('board-count')).toHaveAttribute('data-visible', '3');
  await page.getByTestId('filter-flag-late').click();
  await expect(page.getByTestId('filter-flag-late')).toHaveAttribute('aria-pressed', 'true');
  await expect(page).toHaveURL(/flag=late/);
  await expect(page.getByTestId('board-count')).toHaveAttribute('data-visible', '1');
  await expect(page.getByTestId(`card-${late.reference}`)).toBeVisible();
  await expect(page.getByTestId(`card-${atRisk.reference}`)).toHaveCount(0);
  // Late or at risk: both flags on.
  await page.getByTestId('filter-flag-at_risk').click();
  await expect(page.getByTestId('board-count')).toHaveAttribute('data-visible', '2');
  await expect(page.getByTestId(`card-${onTime.reference}`)).toHaveCount(0);

  // The drawer says how late it is too.
  await page.getByTestId(`card-${late.reference}`).click();
  await expect(page.getByTestId('drawer-flag')).toContainText('late');
  await page.context().close();
});

test('a failed delivery raises an alert on its own shipment only, is announced, and clears when the shipment is retried', async ({
  browser,
  db,
}) => {
  const prefix = unique();
  const [failing, bystander] = await db<{ id: string; reference: string }[]>`
    insert into shipments (depot_id, reference, recipient, address, status, driver_id)
    values (${DEPOT.north}, ${`${prefix}-A`}, 'A Recipient', '1 A Street', 'assigned', ${USER.driverNorth1}),
           (${DEPOT.north}, ${`${prefix}-B`}, 'B Recipient', '2 B Street', 'assigned', ${USER.driverNorth1})
    returning id, reference`;
  await db`update shipments set status = 'picked_up' where id = ${failing.id}`;
  const page = await signIn(browser, 'dispatcher.north@example.com');
  await expectLive(page);
  await page.getByTestId('filter-query').fill(prefix);
  const card = page.getByTestId(`card-${failing.reference}`);
  await expect(card).toHaveAttribute('data-status', 'picked_up');
  await expect(page.getByTestId(`alert-${failing.reference}`)).toHaveCount(0);

  // A routine live change is highlighted but not announced.
  await db`update shipments set eta = now() + interval '3 hours' where id = ${bystander.id}`;
  const other = page.getByTestId(`card-${bystander.reference}`);
  await expect(shell(other)).toHaveAttribute('data-changed', 'true');
  await expect(page.getByTestId('announcer')).toHaveText('');
  // The highlight is brief.
  await expect(shell(other)).not.toHaveAttribute('data-changed', /.+/);

  await db`update shipments set status = 'failed' where id = ${failing.id}`;
  await expect(card).toHaveAttribute('data-status', 'failed');
  const alert = page.getByTestId(`alert-${failing.reference}`);
  await expect(alert).toHaveAttribute('data-kind', 'failed');
  await expect(alert).toContainText('failed · Niko Rivera');
  await expect(page.getByTestId('announcer')).toHaveText(`${failing.reference} delivery failed.`);
  // Scoped: the other shipment has no alert and no failure mark.
  await expect(page.getByTestId(`alert-${bystander.reference}`)).toHaveCount(0);
  await expect(other).toHaveAttribute('data-status', 'assigned');

  // The alert opens its shipment.
  await alert.getByRole('button', { name: `Open ${failing.reference}: delivery failed` }).click();
  await expect(page.getByTestId('shipment-drawer').getByRole('heading', { name: failing.reference })).toBeVisible();
  await expect(page.getByTestId('drawer-failed')).toBeVisible();
  await page.keyboard.press('Escape');

  // Retried (back to pending): the cause is gone, so is the alert.
  await db`update shipments set status = 'pending', driver_id = null where id = ${failing.id}`;
  await expect(card).toHaveAttribute('data-status', 'pending');
  await expect(alert).toHaveCount(0);
  await page.context().close();
});

test('the highlight animates, and is a still outline when the person prefers reduced motion', async ({
  browser,
  db,
}) => {
  const prefix = unique();
  const [row] = await db<{ id: string; reference: string }[]>`
    insert into shipments (depot_id, reference, recipient, address)
    values (${DEPOT.north}, ${`${prefix}-M`}, 'M Recipient', '1 M Street') returning id, reference`;
  const page = await signIn(browser, 'dispatcher.north@example.com');
  await expectLive(page);
  const card = await showCard(page, row.reference);
  const flash = shell(card).locator('.card-flash');
  const animation = () => flash.evaluate((el) => getComputedStyle(el).animationName);

  await db`update shipments set eta = now() + interval '4 hours' where id = ${row.id}`;
  await expect(flash).toHaveCount(1);
  expect(await animation()).toBe('card-flash');
  await expect(flash).toHaveCount(0);

  await page.emulateMedia({ reducedMotion: 'reduce' });
  await db`update shipments set eta = now() + interval '5 hours' where id = ${row.id}`;
  await expect(flash).toHaveCount(1);
  expect(await animation()).toBe('none');
  expect(await flash.evaluate((el) => getComputedStyle(el).boxShadow)).not.toBe('none');
  await page.context().close();
});

test('a refused change is an alert on its own shipment only, and clears when that shipment changes again', async ({
  browser,
  db,
}) => {
  const prefix = unique();
  const [target, bystander] = await db<{ id: string; reference: string }[]>`
    insert into shipments (depot_id, reference, recipient, address)
    values (${DEPOT.north}, ${`${prefix}-R`}, 'R Recipient', '1 R Street'),
           (${DEPOT.north}, ${`${prefix}-S`}, 'S Recipient', '2 S Street')
    returning id, reference`;
  const page = await signIn(browser, 'dispatcher.north@example.com');
  await expectLive(page);
  await page.getByTestId('filter-query').fill(prefix);
  await page.getByTestId(`card-${target.reference}`).click();
  // Nadia leaves the depot; the board's driver list still offers her, so the database refuses.
  await db`delete from depot_members where user_id = ${USER.driverNorth2} and depot_id = ${DEPOT.north}`;
  try {
    await page.getByTestId('driver-select').selectOption(USER.driverNorth2);
    await expect(page.getByTestId('update-error')).toContainText('The assigned user is not a driver of this depot');
  } finally {
    await db`insert into depot_members (depot_id, user_id) values (${DEPOT.north}, ${USER.driverNorth2}) on conflict do nothing`;
  }
  await page.keyboard.press('Escape');
  const alert = page.getByTestId(`alert-${target.reference}`);
  await expect(alert).toHaveAttribute('data-kind', 'refused');
  await expect(page.getByTestId(`card-${target.reference}`).getByTestId('refused-marker')).toBeVisible();
  await expect(page.getByTestId(`alert-${bystander.reference}`)).toHaveCount(0);
  await expect(page.getByTestId(`card-${bystander.reference}`).getByTestId('refused-marker')).toHaveCount(0);

  // Someone changes the shipment: the refusal's cause (the old version) is gone, so is the alert.
  await db`update shipments set driver_id = ${USER.driverNorth1}, status = 'assigned' where id = ${target.id}`;
  await expect(page.getByTestId(`card-${target.reference}`)).toHaveAttribute('data-status', 'assigned');
  await expect(alert).toHaveCount(0);
  await expect(page.getByTestId(`card-${target.reference}`).getByTestId('refused-marker')).toHaveCount(0);
  await page.context().close();
});
