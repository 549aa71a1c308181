import { z } from 'zod';
import { publicSupabaseKey, SupabaseKeyError } from './keys';

export { LOCAL_PUBLISHABLE_KEY } from './keys';

// The Supabase CLI's local defaults, which the dev stack serves too. With no
// .env.local at all the app talks to `npm run stack` / `supabase start`.
export const LOCAL_SUPABASE_URL = 'http://127.0.0.1:54321';

const urlSchema = z.url({ protocol: /^https?$/, error: 'NEXT_PUBLIC_SUPABASE_URL must be an http(s) URL' });

export interface PublicEnv {
  supabaseUrl: string;
  /** The publishable key (or the legacy anon key): what every client of the app sends as its apikey. */
  supabaseKey: string;
}

/**
 * The browser-safe settings. Next inlines NEXT_PUBLIC_* at build time, so each
 * variable is read by its full name (a dynamic process.env[name] would not be).
 * The key is NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY, else the legacy
 * NEXT_PUBLIC_SUPABASE_ANON_KEY, else the local publishable key; a malformed
 * or secret key throws with the variable and the fix named.
 */
export function publicEnv(): PublicEnv {
  const url = urlSchema.safeParse(process.env.NEXT_PUBLIC_SUPABASE_URL || LOCAL_SUPABASE_URL);
  let problem = url.success ? null : url.error.issues.map((i) => i.message).join('; ');
  let key = '';
  try {
    key = publicSupabaseKey({
      NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: process.env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY,
      NEXT_PUBLIC_SUPABASE_ANON_KEY: process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY,
    }).value;
  } catch (err) {
    if (!(err instanceof SupabaseKeyError)) throw err;
    problem = [problem, err.message].filter(Boolean).join('; ');
  }
  if (problem || !url.success) {
    throw new Error(
      `Invalid Supabase settings: ${problem}. ` +
        'Fix them in .env.local (see .env.example), or unset them to use the local dev stack.',
    );
  }
  return { supabaseUrl: url.data, supabaseKey: key };
}

/** True when the app talks to a local stack (dev stack or `supabase start`): the login page then lists the demo accounts. */
export function isLocalStack(env: PublicEnv = publicEnv()): boolean {
  const { hostname } = new URL(env.supabaseUrl);
  return hostname === '127.0.0.1' || hostname === 'localhost';
}
