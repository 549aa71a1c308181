// Issue 14, item 6: accessibility. axe-core (through @axe-core/playwright, WCAG
// 2.x A/AA rules) finds no serious or critical violation on the login page,
// the board, the open drawer and the driver view, in light and dark; the
// board has its landmarks, one h1, a working skip link and distinct names.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { baseUrl, createShipment, DEPOT, expect, expectLive, showCard, signIn, test, USER } from './fixtures';

/** Serious and critical violations on the page as it is now, as "rule: target" lines (empty when clean). */
async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${n.failureSummary ?? ''}`));
}

for (const scheme of ['light', 'dark'] as const) {
  test(`${scheme}: login, board, drawer and driver view have no serious or critical axe violations`, async ({
    browser,
    db,
  }) => {
    const shipment = await createShipment(db, DEPOT.north, { prefix: 'AXE', driverId: USER.driverNorth1 });

    const login = await (await browser.newContext({ baseURL: baseUrl(), colorScheme: scheme })).newPage();
    await login.goto('/login');
    await expect(login.getByRole('button', { name: 'Sign in' })).toBeVisible();
    expect(await seriousViolations(login)).toEqual([]);
    await login.context().close();

    const board = await signIn(browser, 'dispatcher.north@example.com', (page) =>
      page.emulateMedia({ colorScheme: scheme }),
    );
    await expectLive(board);
    expect(await seriousViolations(board)).toEqual([]);
    await (await showCard(board, shipment.reference)).click();
    await expect(board.getByTestId('timeline-event').first()).toBeVisible();
    expect(await seriousViolations(board)).toEqual([]);
    await board.context().close();

    const driver = await signIn(browser, 'driver.north1@example.com', (page) =>
      page.emulateMedia({ colorScheme: scheme }),
    );
    await expect(driver.getByTestId(`driver-shipment-${shipment.reference}`)).toBeVisible();
    expect(await seriousViolations(driver)).toEqual([]);
    await driver.context().close();
  });
}

test('the board has landmarks, one h1, a skip link to the main content, and distinct names for its controls', async ({
  browser,
  db,
}) => {
  const shipment = await createShipment(db, DEPOT.north, { prefix: 'A11Y' });
  const page = await signIn(browser, 'dispatcher.north@example.com');
  await expectLive(page);
  await expect(page.getByRole('banner')).toHaveCount(1);
  await expect(page.getByRole('main')).toHaveCount(1);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('North Depot');
  await expect(page.getByRole('search', { name: 'Filter shipments' })).toBeVisible();

  // The first Tab stop is the skip link; following it puts the keyboard in the main content.
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to main content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport(); // visible when focused
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#main$/);
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.closest('main') !== null)).toBe(true);

  // Every button on the board has a name, and cards' names are distinct.
  await showCard(page, shipment.reference);
  await page.getByTestId('filter-query').fill('');
  const names = await page
    .getByRole('main')
    .locator('[data-card-id]')
    .evaluateAll((cards) => cards.map((c) => c.textContent?.trim() ?? ''));
  expect(names.length).toBeGreaterThan(1);
  expect(new Set(names).size).toBe(names.length);

  // Visible focus: a focused card draws an outline (or ring).
  const card = page.getByTestId(`card-${shipment.reference}`);
  await page.getByTestId('filter-query').fill(shipment.reference);
  // Reached by keyboard (Tab from its checkbox), so :focus-visible applies.
  await page.getByTestId(`select-${shipment.reference}`).focus();
  await page.keyboard.press('Tab');
  await expect(card).toBeFocused();
  const focusStyle = await card.evaluate((el) => {
    const style = getComputedStyle(el);
    return { outline: style.outlineStyle, width: style.outlineWidth, shadow: style.boxShadow };
  });
  expect((focusStyle.outline !== 'none' && focusStyle.width !== '0px') || focusStyle.shadow !== 'none').toBe(true);
  await page.context().close();
});
