import { z } from 'zod';

// The Supabase CLI's local defaults, which the dev stack serves too. With no
// .env.local at all the app talks to `npm run stack` / `supabase start`.
export const LOCAL_SUPABASE_URL = 'http://127.0.0.1:54321';
export const LOCAL_ANON_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0';

const publicEnvSchema = z.object({
  supabaseUrl: z.url({ protocol: /^https?$/, error: 'NEXT_PUBLIC_SUPABASE_URL must be an http(s) URL' }),
  supabaseAnonKey: z.string().min(20, 'NEXT_PUBLIC_SUPABASE_ANON_KEY looks truncated'),
});

export type PublicEnv = z.infer<typeof publicEnvSchema>;

/**
 * The browser-safe settings. Next inlines NEXT_PUBLIC_* at build time, so each
 * variable is read by its full name (a dynamic process.env[name] would not be).
 */
export function publicEnv(): PublicEnv {
  const parsed = publicEnvSchema.safeParse({
    supabaseUrl: process.env.NEXT_PUBLIC_SUPABASE_URL || LOCAL_SUPABASE_URL,
    supabaseAnonKey: process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY || LOCAL_ANON_KEY,
  });
  if (!parsed.success) {
    throw new Error(
      `Invalid Supabase settings: ${parsed.error.issues.map((i) => i.message).join('; ')}. ` +
        'Fix them in .env.local (see .env.example), or unset them to use the local dev stack.',
    );
  }
  return parsed.data;
}

/** True when the app talks to a local stack (dev stack or `supabase start`): the login page then lists the demo accounts. */
export function isLocalStack(env: PublicEnv = publicEnv()): boolean {
  const { hostname } = new URL(env.supabaseUrl);
  return hostname === '127.0.0.1' || hostname === 'localhost';
}
