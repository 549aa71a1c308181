import type { ProviderHarness } from './harness';
import { supabaseHarness } from './supabase-harness';

/** Every provider the contract runs against. */
export function harnesses(): ProviderHarness[] {
  return [supabaseHarness()];
}
