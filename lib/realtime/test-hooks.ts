/**
 * Test-only: delays the first subscribe of this tab by the number of ms stored
 * in localStorage under `switchboard:subscribeDelayMs`, so an end-to-end test
 * can commit a change deterministically between the server render and the
 * subscription (the handoff window). Unset in normal use; it only ever slows
 * down the tab that sets it.
 */
export function subscribeDelayMs(): number {
  if (typeof window === 'undefined') return 0;
  try {
    const value = Number(window.localStorage.getItem('switchboard:subscribeDelayMs'));
    return Number.isFinite(value) && value > 0 ? Math.min(value, 60_000) : 0;
  } catch {
    return 0;
  }
}
