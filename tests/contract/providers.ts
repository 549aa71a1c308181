import type { ProviderHarness } from './harness';
import { ablyHarness, pusherHarness } from './relay-harness';
import { supabaseHarness } from './supabase-harness';

/** Every provider the contract runs against. */
export function harnesses(): ProviderHarness[] {
  return [supabaseHarness(), pusherHarness(), ablyHarness()];
}
