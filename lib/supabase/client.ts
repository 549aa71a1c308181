import { createBrowserClient } from '@supabase/ssr';
import type { Database } from '@/lib/database.types';
import { realtimeSocketOptions } from '@/lib/realtime/adapters/supabase';
import { publicEnv } from './env';

/** The browser's Supabase client. createBrowserClient returns one shared instance per tab (one realtime socket). */
export function createClient() {
  const { supabaseUrl, supabaseKey } = publicEnv();
  return createBrowserClient<Database>(supabaseUrl, supabaseKey, {
    realtime: realtimeSocketOptions(),
  });
}
