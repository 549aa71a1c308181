// Issue 14, item 5: create a shipment (the same zod schema checks the form and
// the server action; the database has the last word) and multi-select bulk
// assign: each shipment its own optimistic, version-guarded write, with a
// result per shipment.
import { DEPOT, expect, expectLive, showCard, signIn, test, USER } from './fixtures';

const unique = () => `${Date.now().toString(36).toUpperCase()}${Math.floor(Math.random() * 100)}`;

test('a dispatcher creates a shipment: bad input is explained before sending, a duplicate is refused, a good one appears at once', async ({
  browser,
  db,
}) => {
  const reference = `NEW-${unique()}`;
  const page = await signIn(browser, 'dispatcher.north@example.com');
  await expectLive(page);
  const opener = page.getByTestId('new-shipment');
  await opener.click();
  const dialog = page.getByTestId('new-shipment-dialog');
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('new-reference')).toHaveValue(/^[A-Z]+-\d+$/); // a suggestion

  // Invalid reference: the form's zod says what is wrong, next to the field; nothing is sent.
  await page.getByTestId('new-reference').fill('no spaces please');
  await page.getByTestId('new-recipient').fill('Ada Moreau');
  await page.getByTestId('new-address').fill('1 Mill Lane');
  await page.getByTestId('new-submit').click();
  await expect(page.getByTestId('new-reference')).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog).toContainText('A reference is 3–32 capital letters, digits or dashes');
  await expect(page.getByTestId('new-error')).toHaveText('Check the highlighted fields.');

  await page.getByTestId('new-reference').fill(reference.toLowerCase()); // zod upper-cases it
  await page.getByTestId('new-driver').selectOption(USER.driverNorth1);
  await page.getByTestId('new-submit').click();
  await expect(dialog).toBeHidden();
  const card = await showCard(page, reference);
  await expect(card).toHaveAttribute('data-status', 'assigned');
  await expect(card).toHaveAttribute('data-version', '1');
  await expect(card).toContainText('Niko Rivera');
  const rows = await db`select status, driver_id, recipient, address from shipments where reference = ${reference}`;
  expect(rows).toEqual([
    { status: 'assigned', driver_id: USER.driverNorth1, recipient: 'Ada Moreau', address: '1 Mill Lane' },
  ]);

  // The same reference again: the database refuses (unique), the form says so and the optimistic card goes away.
  await page.getByTestId('filter-query').fill('');
  await opener.click();
  await page.getByTestId('new-reference').fill(reference);
  await page.getByTestId('new-recipient').fill('Someone Else');
  await page.getByTestId('new-address').fill('2 Other Road');
  await page.getByTestId('new-submit').click();
  await expect(page.getByTestId('new-error')).toHaveText(`${reference} already exists. Choose another reference.`);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await page.getByTestId('filter-query').fill(reference);
  await expect(page.getByTestId('board-count')).toHaveAttribute('data-visible', '1');
  await expect(page.getByTestId(`card-${reference}`)).toContainText('Ada Moreau');

  // Offline, creating is disabled and says why.
  await page.context().setOffline(true);
  await expect(opener).toBeDisabled();
  await expect(opener).toHaveAttribute('title', /offline/);
  await page.context().close();
});

test('bulk assign: each selected shipment gets its own version-guarded write and its own result', async ({
  browser,
  db,
}) => {
  const prefix = `BLK${unique()}`;
  const [a, b, c, d] = await db<{ id: string; reference: string }[]>`
    insert into shipments (depot_id, reference, recipient, address, status, driver_id)
    values (${DEPOT.north}, ${`${prefix}-A`}, 'A', '1 A St', 'pending', null),
           (${DEPOT.north}, ${`${prefix}-B`}, 'B', '2 B St', 'pending', null),
           (${DEPOT.north}, ${`${prefix}-C`}, 'C', '3 C St', 'pending', null),
           (${DEPOT.north}, ${`${prefix}-D`}, 'D', '4 D St', 'assigned', ${USER.driverNorth2})
    returning id, reference`;
  await db`update shipments set status = 'picked_up' where id = ${d.id}`;
  // A tab that never subscribes cannot learn that C changes meanwhile: its write carries a stale version.
  const page = await signIn(browser, 'dispatcher.north@example.com', async (p) => {
    await p.addInitScript(() => window.localStorage.setItem('switchboard:subscribeDelayMs', '60000'));
  });
  await page.getByTestId('filter-query').fill(prefix);
  await expect(page.getByTestId('board-count')).toHaveAttribute('data-visible', '4');
  for (const row of [a, b, c, d]) await page.getByTestId(`select-${row.reference}`).check();
  await expect(page.getByTestId('selected-count')).toHaveText('4 selected');
  await expect(page).toHaveURL(new RegExp(`q=${prefix}`));

  await db`update shipments set recipient = 'C changed elsewhere' where id = ${c.id}`;
  await page.getByTestId('bulk-driver').selectOption(USER.driverNorth1);
  await page.getByTestId('bulk-assign').click();

  const results = page.getByTestId('bulk-results');
  await expect(results).toContainText('Assigned 2 of 4, 1 refused, 1 skipped.');
  await expect(page.getByTestId(`bulk-result-${a.reference}`)).toHaveAttribute('data-outcome', 'assigned');
  await expect(page.getByTestId(`bulk-result-${b.reference}`)).toHaveAttribute('data-outcome', 'assigned');
  await expect(page.getByTestId(`bulk-result-${c.reference}`)).toHaveAttribute('data-outcome', 'refused');
  await expect(page.getByTestId(`bulk-result-${c.reference}`)).toContainText(
    `Someone else changed ${c.reference} first`,
  );
  await expect(page.getByTestId(`bulk-result-${d.reference}`)).toHaveAttribute('data-outcome', 'skipped');
  await expect(page.getByTestId(`bulk-result-${d.reference}`)).toContainText('picked up');

  // The two writes landed, with their versions bumped once; the refused and skipped ones are untouched.
  const rows = await db<{ reference: string; status: string; driver_id: string | null; version: number }[]>`
    select reference, status, driver_id, version from shipments where reference like ${`${prefix}-%`} order by reference`;
  expect(rows).toEqual([
    { reference: a.reference, status: 'assigned', driver_id: USER.driverNorth1, version: 2 },
    { reference: b.reference, status: 'assigned', driver_id: USER.driverNorth1, version: 2 },
    { reference: c.reference, status: 'pending', driver_id: null, version: 2 },
    { reference: d.reference, status: 'picked_up', driver_id: USER.driverNorth2, version: 2 },
  ]);
  // The board shows the assigned ones assigned, and the refused one as the database has it, flagged.
  await expect(page.getByTestId(`card-${a.reference}`)).toHaveAttribute('data-status', 'assigned');
  await expect(page.getByTestId(`card-${c.reference}`)).toHaveAttribute('data-status', 'pending');
  await expect(page.getByTestId(`card-${c.reference}`).getByTestId('refused-marker')).toBeVisible();
  await expect(page.getByTestId(`alert-${c.reference}`)).toHaveAttribute('data-kind', 'refused');
  // The refused one stays selected for a retry.
  await expect(page.getByTestId(`select-${c.reference}`)).toBeChecked();
  await page.context().close();
});
