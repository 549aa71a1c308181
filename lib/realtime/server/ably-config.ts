import type * as Ably from 'ably';
import { z } from 'zod';

// Server-only Ably settings (the token route and the relay). The API key is a
// secret: never give it a NEXT_PUBLIC_ name.

const serverSchema = z.object({
  apiKey: z
    .string({
      error: 'ABLY_API_KEY is not set (copy the key "appId.keyId:secret" from the Ably dashboard into .env.local)',
    })
    .regex(
      /^[^.:\s]+\.[^.:\s]+:\S+$/,
      'ABLY_API_KEY must look like "appId.keyId:secret" (the full key, with its secret)',
    ),
  /** A self-hosted or test endpoint (e.g. tests/fakes/ably-server); unset for Ably's own. */
  restHost: z.string().min(1).optional(),
  restPort: z.coerce.number({ error: 'ABLY_REST_PORT must be a port number' }).int().min(1).max(65535).optional(),
  /** TLS towards the endpoint (default true; false for a local test server). */
  tls: z
    .enum(['true', 'false', '1', '0'], { error: 'ABLY_REST_TLS must be true or false' })
    .transform((value) => value === 'true' || value === '1')
    .default(true),
});

export type AblyServerConfig = z.output<typeof serverSchema>;

const blankToUndefined = (value: string | undefined) => (value === '' ? undefined : value);

/** Parses the Ably server settings; throws naming exactly what is missing or wrong. */
export function ablyServerConfig(env: Record<string, string | undefined> = process.env): AblyServerConfig {
  const parsed = serverSchema.safeParse({
    apiKey: blankToUndefined(env.ABLY_API_KEY),
    restHost: blankToUndefined(env.ABLY_REST_HOST),
    restPort: blankToUndefined(env.ABLY_REST_PORT),
    tls: blankToUndefined(env.ABLY_REST_TLS),
  });
  if (!parsed.success) {
    throw new Error(
      `Ably is not configured: ${parsed.error.issues.map((i) => i.message).join('; ')}. See README, "Switch to Ably or Pusher".`,
    );
  }
  if (parsed.data.restPort !== undefined && parsed.data.restHost === undefined) {
    throw new Error(
      'Ably is not configured: ABLY_REST_PORT is set but ABLY_REST_HOST is not; set both for a self-hosted or test endpoint, or neither for Ably.',
    );
  }
  return parsed.data;
}

/** Client options for `ably` Rest on the server (token signing, the relay's publishes). */
export function ablyRestOptions(config: AblyServerConfig): Ably.ClientOptions {
  if (!config.restHost) return { key: config.apiKey };
  // A host (FQDN, IP or localhost) as endpoint means that host and no fallbacks;
  // JSON rather than MessagePack, which is what tests/fakes/ably-server speaks.
  const port =
    config.restPort === undefined ? {} : config.tls ? { tlsPort: config.restPort } : { port: config.restPort };
  return {
    key: config.apiKey,
    endpoint: config.restHost,
    tls: config.tls,
    ...port,
    fallbackHosts: [],
    useBinaryProtocol: false,
  };
}
