// Issue 14, item 2: a layout that fits. All seven statuses reachable at
// 1280 px (finished columns collapsed to a strip, expandable), headers with
// counts that stay put while a column scrolls, sorting, an empty-results
// state, and virtualized columns so the DOM stays bounded at 10,000 shipments.
import { DEPOT, expect, expectLive, signIn, test, USER } from './fixtures';

const STATUSES = ['pending', 'assigned', 'picked_up', 'in_transit', 'delivered', 'failed', 'cancelled'] as const;
const unique = () => `${Date.now().toString(36).toUpperCase()}${Math.floor(Math.random() * 100)}`;

test('at 1280 px all seven statuses are on screen with their counts; a collapsed one expands; the choice is in the URL', async ({
  browser,
  db,
}) => {
  const page = await signIn(browser, 'dispatcher.north@example.com');
  await page.setViewportSize({ width: 1280, height: 800 });
  await expectLive(page);
  const counts = await db<{ status: string; n: number }[]>`
    select status::text, count(*)::int as n from shipments where depot_id = ${DEPOT.north} group by status`;
  const expected = new Map(counts.map((c) => [c.status, c.n]));
  for (const status of STATUSES) {
    const column = page.getByTestId(`column-${status}`);
    await expect(column).toBeInViewport({ ratio: 1 });
    await expect(column.getByRole('heading')).toContainText(String(expected.get(status) ?? 0));
  }
  // The page itself never scrolls sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

  const delivered = page.getByTestId('column-delivered');
  await expect(delivered).toHaveAttribute('data-collapsed', 'true');
  await delivered.getByRole('button', { name: /Delivered/ }).click();
  await expect(delivered).not.toHaveAttribute('data-collapsed', /.+/);
  await expect(page.getByTestId('count-delivered')).toHaveText(String(expected.get('delivered') ?? 0));
  await expect(page).toHaveURL(/collapsed=cancelled/);
  await expect(page).not.toHaveURL(/collapsed=[^&]*delivered/);
  // Expanded, it is still reachable (the board scrolls sideways inside itself).
  await delivered.scrollIntoViewIfNeeded();
  await expect(delivered).toBeInViewport({ ratio: 1 });
  await page.context().close();
});

test('sorting by ETA, last change and reference; a search without a match says so and offers a way back', async ({
  browser,
  db,
}) => {
  const prefix = `SRT${unique()}`;
  await db`
    insert into shipments (depot_id, reference, recipient, address, eta)
    values (${DEPOT.north}, ${`${prefix}-A`}, 'A', '1 A St', now() + interval '3 hours'),
           (${DEPOT.north}, ${`${prefix}-B`}, 'B', '2 B St', now() + interval '5 hours'),
           (${DEPOT.north}, ${`${prefix}-C`}, 'C', '3 C St', now() + interval '4 hours')`;
  // Changed in the order A, C, B (the insert gave all three the same time).
  for (const last of ['A', 'C', 'B'])
    await db`update shipments set recipient = ${`${last} again`} where reference = ${`${prefix}-${last}`}`;
  const page = await signIn(browser, 'dispatcher.north@example.com');
  await expectLive(page);
  await page.getByTestId('filter-query').fill(prefix);
  const order = () =>
    page
      .getByTestId('column-pending')
      .locator('[data-card-id]')
      .evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.testid?.slice(-1)));

  await expect(page.getByTestId('sort')).toHaveValue('eta');
  await expect.poll(order).toEqual(['A', 'C', 'B']);
  await page.getByTestId('sort').selectOption('updated');
  await expect.poll(order).toEqual(['B', 'C', 'A']);
  await page.getByTestId('sort').selectOption('reference');
  await expect.poll(order).toEqual(['A', 'B', 'C']);
  await expect(page).toHaveURL(/sort=reference/);

  await page.getByTestId('filter-query').fill(`${prefix}-nothing`);
  const empty = page.getByTestId('empty-results');
  await expect(empty).toContainText(`No shipments match ${prefix}-nothing.`);
  await expect(page.getByTestId('board-count')).toHaveAttribute('data-visible', '0');
  await empty.getByRole('button', { name: 'Clear search' }).click();
  await expect(page.getByTestId('filter-query')).toHaveValue('');
  await expect(empty).toHaveCount(0);
  await page.context().close();
});

test('10,000 shipments: counts are exact, the DOM stays bounded, and the last card of a column is reachable by keyboard', async ({
  browser,
  db,
}) => {
  test.setTimeout(240_000);
  const [depot] = await db<{ id: string }[]>`
    insert into depots (name, min_lat, min_lng, max_lat, max_lng)
    values ('Zulu Volume Depot', 51.4, -0.3, 51.6, 0.1) returning id`;
  try {
    await db`insert into depot_members (depot_id, user_id) values (${depot.id}, ${USER.dispatcherHq})`;
    await db`
      insert into shipments (depot_id, reference, recipient, address, eta)
      select ${depot.id}, 'VOL-' || lpad(n::text, 5, '0'), 'Recipient ' || n, n || ' Volume Road',
             now() + make_interval(mins => n)
      from generate_series(1, 10000) n`;
    const page = await signIn(browser, 'dispatcher.hq@example.com');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`/board/${depot.id}`);
    await expectLive(page);
    await expect(page.getByTestId('board-count')).toHaveAttribute('data-visible', '10000');
    await expect(page.getByTestId('count-pending')).toHaveText('10000');

    const dom = () =>
      page.evaluate(() => ({
        nodes: document.getElementsByTagName('*').length,
        cards: document.querySelectorAll('[data-card-id]').length,
      }));
    const first = await dom();
    expect(first.cards).toBeLessThan(60);
    expect(first.nodes).toBeLessThan(2500);

    // Keyboard: End jumps to the last card of the column, which is rendered on demand.
    const firstCard = page.getByTestId('card-VOL-00001');
    await firstCard.focus();
    await page.keyboard.press('End');
    await expect(page.getByTestId('card-VOL-10000')).toBeFocused();
    // Its list item tells assistive technology where it is in the column.
    await expect(page.getByTestId('card-VOL-10000').locator('xpath=../..')).toHaveAttribute('aria-posinset', '10000');
    await expect(firstCard).toHaveCount(0);
    // The column scrolled inside itself: its header (name and count) stayed where it was.
    await expect(page.getByTestId('count-pending')).toBeInViewport();
    expect(await page.getByTestId('scroll-pending').evaluate((el) => el.scrollTop)).toBeGreaterThan(100_000);
    const after = await dom();
    expect(after.cards).toBeLessThan(60);
    expect(after.nodes).toBeLessThan(2500);
    await page.keyboard.press('Home');
    await expect(page.getByTestId('card-VOL-00001')).toBeFocused();
    await page.context().close();
  } finally {
    await db`delete from shipments where depot_id = ${depot.id}`;
    await db`delete from depot_members where depot_id = ${depot.id}`;
    await db`delete from depots where id = ${depot.id}`;
  }
});
