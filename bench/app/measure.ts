// In-page probes for the app benchmark, run in Chromium with page.evaluate.
// Every probe records timestamps on the page's own clock (performance.now),
// except commit → DOM, which needs the writer's clock: it records Date.now()
// (same machine, so the same wall clock as the Node process).
import type { Page } from '@playwright/test';

/** Starts recording card version changes (reference, version, Date.now()) and long tasks (ms). */
export async function startLiveProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __seen: [string, number, number][]; __long: number[] };
    w.__seen = [];
    w.__long = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__long.push(e.duration))).observe({
      type: 'longtask',
      buffered: false,
    });
    new MutationObserver((records) => {
      const now = Date.now();
      for (const r of records) {
        const el = r.target as HTMLElement;
        if (r.attributeName === 'data-version' && el.dataset.testid?.startsWith('card-'))
          w.__seen.push([el.dataset.testid.slice(5), Number(el.dataset.version), now]);
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-version'] });
  });
}

/** What the live probe recorded since it started. */
export function readLiveProbe(page: Page): Promise<{ seen: [string, number, number][]; long: number[] }> {
  return page.evaluate(() => {
    const w = window as unknown as { __seen: [string, number, number][]; __long: number[] };
    return { seen: w.__seen, long: w.__long };
  });
}

/**
 * Keystroke → filtered DOM: from the keydown in the search box to the React
 * commit that changes the board's visible count (data-visible), which is the
 * same commit that renders the filtered columns. Returns one duration (ms) per
 * keystroke that changed the count; the caller types with page.keyboard.
 */
export async function startKeystrokeProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __keys: number[]; __keyAt: number | null };
    w.__keys = [];
    w.__keyAt = null;
    const input = document.querySelector('[data-testid="filter-query"]')!;
    input.addEventListener('keydown', () => (w.__keyAt = performance.now()), { capture: true });
    const count = document.querySelector('[data-testid="board-count"]')!;
    new MutationObserver(() => {
      if (w.__keyAt === null) return;
      w.__keys.push(performance.now() - w.__keyAt);
      w.__keyAt = null;
    }).observe(count, { attributes: true, attributeFilter: ['data-visible'] });
  });
}

export function readKeystrokeProbe(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __keys: number[] }).__keys);
}

/**
 * Opening the drawer: from the keydown (Enter on a focused card) to the
 * drawer's element in the DOM. One duration (ms) per opening.
 */
export async function startDrawerProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __opens: number[]; __openAt: number | null };
    w.__opens = [];
    w.__openAt = null;
    document.addEventListener(
      'keydown',
      (e) => {
        if (e.key === 'Enter' && (e.target as HTMLElement).dataset.cardId) w.__openAt = performance.now();
      },
      { capture: true },
    );
    new MutationObserver(() => {
      if (w.__openAt === null || !document.querySelector('[data-testid="shipment-drawer"]')) return;
      w.__opens.push(performance.now() - w.__openAt);
      w.__openAt = null;
    }).observe(document.body, { subtree: true, childList: true });
  });
}

export function readDrawerProbe(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __opens: number[] }).__opens);
}

/** The p-th percentile (nearest rank) of ascending `sorted`; NaN when empty. */
export const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
