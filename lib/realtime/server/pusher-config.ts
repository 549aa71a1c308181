import 'server-only';
import { z } from 'zod';

// Server-side Pusher settings. PUSHER_SECRET signs channel authorizations and
// REST calls: it must never reach the browser, hence server-only.

const blankToUndefined = (value: string | undefined) => (value === '' ? undefined : value);

const schema = z.object({
  appId: z.string({ error: 'PUSHER_APP_ID is not set' }).min(1, 'PUSHER_APP_ID is empty'),
  key: z.string({ error: 'NEXT_PUBLIC_PUSHER_KEY is not set' }).min(1, 'NEXT_PUBLIC_PUSHER_KEY is empty'),
  secret: z.string({ error: 'PUSHER_SECRET is not set' }).min(1, 'PUSHER_SECRET is empty'),
  cluster: z.string().min(1).default('mt1'),
  /** A self-hosted or test server (e.g. tests/fakes); unset for Pusher's own. */
  host: z.string().min(1).optional(),
  port: z.coerce.number({ error: 'PUSHER_PORT must be a port number' }).int().min(1).max(65535).optional(),
});

export type PusherServerConfig = z.infer<typeof schema>;

/** The Pusher server settings, validated; throws listing everything that is missing or wrong. */
export function pusherServerConfig(env: NodeJS.ProcessEnv = process.env): PusherServerConfig {
  const parsed = schema.safeParse({
    appId: blankToUndefined(env.PUSHER_APP_ID),
    key: blankToUndefined(env.NEXT_PUBLIC_PUSHER_KEY),
    secret: blankToUndefined(env.PUSHER_SECRET),
    cluster: blankToUndefined(env.NEXT_PUBLIC_PUSHER_CLUSTER),
    host: blankToUndefined(env.PUSHER_HOST),
    port: blankToUndefined(env.PUSHER_PORT),
  });
  if (!parsed.success) {
    throw new Error(
      `Pusher is not configured: ${parsed.error.issues.map((i) => i.message).join('; ')}. ` +
        'Set them in .env.local (see .env.example and README, "Switch to Ably or Pusher").',
    );
  }
  return parsed.data;
}
