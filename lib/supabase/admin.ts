import 'server-only';
import { createClient } from '@supabase/supabase-js';
import type { Database } from '@/lib/database.types';
import { publicEnv } from './env';
import { secretSupabaseKey } from './keys';

/**
 * A Supabase client with elevated access (the service_role role: RLS does not
 * apply), for server code that must act on behalf of no user: jobs, admin
 * route handlers, webhooks. Uses SUPABASE_SECRET_KEY, else the legacy
 * SUPABASE_SERVICE_ROLE_KEY; throws naming both when neither is set. Never
 * create it for a request a user can steer without checking them first.
 */
export function createAdminClient() {
  const { supabaseUrl } = publicEnv();
  const { value } = secretSupabaseKey(process.env);
  return createClient<Database>(supabaseUrl, value, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}
