import { z } from 'zod';
import type { ProviderName } from './types';

// Which realtime transport the app uses, and that provider's settings. Public
// settings are NEXT_PUBLIC_* (inlined into the browser bundle at build time);
// secrets are server-only. Each variable is read by its full name so Next can
// inline it.

const providerSchema = z.enum(['supabase', 'ably', 'pusher']);

const optionalPort = z.coerce.number().int().min(1).max(65535).optional();

const publicSchema = z.discriminatedUnion('provider', [
  z.object({ provider: z.literal('supabase') }),
  z.object({
    provider: z.literal('pusher'),
    pusherKey: z.string({ error: 'NEXT_PUBLIC_PUSHER_KEY is not set' }).min(1, 'NEXT_PUBLIC_PUSHER_KEY is empty'),
    pusherCluster: z.string().min(1).default('mt1'),
    /** A self-hosted or test server (e.g. tests/fakes); unset for Pusher's own. */
    pusherHost: z.string().min(1).optional(),
    pusherPort: optionalPort,
  }),
  z.object({
    provider: z.literal('ably'),
    /** A self-hosted or test endpoint (e.g. tests/fakes); unset for Ably's own. */
    ablyHost: z.string().min(1).optional(),
    ablyPort: optionalPort,
  }),
]);

export type PublicRealtimeConfig = z.infer<typeof publicSchema>;

const blankToUndefined = (value: string | undefined) => (value === '' ? undefined : value);

/** The browser-safe realtime settings, validated; throws listing exactly what is missing. */
export function publicRealtimeConfig(): PublicRealtimeConfig {
  const provider = providerSchema.safeParse(blankToUndefined(process.env.NEXT_PUBLIC_REALTIME_PROVIDER) ?? 'supabase');
  if (!provider.success) {
    throw new Error(
      `NEXT_PUBLIC_REALTIME_PROVIDER must be supabase, ably or pusher (got "${process.env.NEXT_PUBLIC_REALTIME_PROVIDER}").`,
    );
  }
  const parsed = publicSchema.safeParse({
    provider: provider.data,
    pusherKey: blankToUndefined(process.env.NEXT_PUBLIC_PUSHER_KEY),
    pusherCluster: blankToUndefined(process.env.NEXT_PUBLIC_PUSHER_CLUSTER),
    pusherHost: blankToUndefined(process.env.NEXT_PUBLIC_PUSHER_HOST),
    pusherPort: blankToUndefined(process.env.NEXT_PUBLIC_PUSHER_PORT),
    ablyHost: blankToUndefined(process.env.NEXT_PUBLIC_ABLY_HOST),
    ablyPort: blankToUndefined(process.env.NEXT_PUBLIC_ABLY_PORT),
  });
  if (!parsed.success) {
    throw new Error(
      `Realtime provider "${provider.data}" is not configured: ${parsed.error.issues.map((i) => i.message).join('; ')}. See README, "Switch to Ably or Pusher".`,
    );
  }
  return parsed.data;
}

export function realtimeProviderName(): ProviderName {
  return publicRealtimeConfig().provider;
}
