import { z } from 'zod';

// The relay's settings, from the environment, validated once at startup. An
// incomplete configuration is refused with every missing or invalid variable
// named, so a deploy fails at once instead of silently publishing nothing.

export class RelayConfigError extends Error {
  override name = 'RelayConfigError';
}

const blank = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value.trim());

const port = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a port number` })
    .int(`${name} must be a port number`)
    .min(1)
    .max(65535)
    .optional();

const bool = (name: string) =>
  z
    .enum(['true', 'false', '1', '0'], { error: `${name} must be true or false` })
    .transform((v) => v === 'true' || v === '1')
    .optional();

const required = (name: string) => z.string({ error: `${name} is not set` }).min(1, `${name} is empty`);

const duration = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a number of milliseconds` })
    .int()
    .positive(`${name} must be positive`);

const common = {
  databaseUrl: required('DATABASE_URL').refine(
    (v) => /^postgres(ql)?:\/\//.test(v),
    'DATABASE_URL must be a postgres:// URL',
  ),
  /** Delivered rows older than this are deleted. */
  retentionMs: duration('RELAY_RETENTION_MS').default(24 * 60 * 60 * 1000),
  /** The safety poll, for a notification lost while the LISTEN connection was down. */
  pollIntervalMs: duration('RELAY_POLL_INTERVAL_MS').default(5_000),
  batchSize: z.coerce.number({ error: 'RELAY_BATCH_SIZE must be a number' }).int().min(1).max(5_000).default(200),
  /** Failed attempts after which a row moves to the dead letters (a refusal for good moves it at once). */
  maxAttempts: z.coerce
    .number({ error: 'RELAY_MAX_ATTEMPTS must be a number' })
    .int('RELAY_MAX_ATTEMPTS must be a whole number')
    .min(1, 'RELAY_MAX_ATTEMPTS must be at least 1')
    .max(1_000)
    .default(10),
  /** GET /metrics (Prometheus) on this port; 0 turns it off. */
  metricsPort: z.coerce
    .number({ error: 'RELAY_METRICS_PORT must be a port number (0 disables /metrics)' })
    .int('RELAY_METRICS_PORT must be a port number (0 disables /metrics)')
    .min(0)
    .max(65535)
    .default(9465),
};

const schema = z.discriminatedUnion('provider', [
  z.object({
    provider: z.literal('ably'),
    ...common,
    ably: z.object({
      apiKey: required('ABLY_API_KEY').regex(/^[^.:]+\.[^:]+:.+$/, 'ABLY_API_KEY must look like appId.keyId:secret'),
      /** A self-hosted or test endpoint (tests/fakes); unset for Ably's own. */
      restHost: z.string().optional(),
      port: port('ABLY_REST_PORT'),
      tls: bool('ABLY_REST_TLS'),
    }),
  }),
  z.object({
    provider: z.literal('pusher'),
    ...common,
    pusher: z.object({
      appId: required('PUSHER_APP_ID'),
      key: required('PUSHER_KEY (or NEXT_PUBLIC_PUSHER_KEY)'),
      secret: required('PUSHER_SECRET'),
      // Pusher's own service needs the cluster (checked in relayConfig); a self-hosted or test host does not.
      cluster: z.string().optional(),
      /** A self-hosted or test server (tests/fakes); unset for Pusher's own. */
      host: z.string().optional(),
      port: port('PUSHER_PORT'),
      useTLS: bool('PUSHER_USE_TLS'),
    }),
  }),
]);

export type RelayConfig = z.infer<typeof schema>;
export type AblyConfig = Extract<RelayConfig, { provider: 'ably' }>['ably'];
export type PusherConfig = Extract<RelayConfig, { provider: 'pusher' }>['pusher'];

/** DATABASE_URL alone, for the relay's database-only commands (--retry-dead); throws RelayConfigError. */
export function relayDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const parsed = common.databaseUrl.safeParse(blank(env.DATABASE_URL));
  if (!parsed.success) throw new RelayConfigError(`${parsed.error.issues[0]?.message ?? 'DATABASE_URL is invalid'}.`);
  return parsed.data;
}

/** Parses the relay's environment; throws RelayConfigError naming everything that is missing or wrong. */
export function relayConfig(env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const providerRaw = blank(env.REALTIME_PROVIDER) ?? blank(env.NEXT_PUBLIC_REALTIME_PROVIDER);
  if (providerRaw !== 'ably' && providerRaw !== 'pusher') {
    throw new RelayConfigError(
      providerRaw === undefined
        ? 'REALTIME_PROVIDER (or NEXT_PUBLIC_REALTIME_PROVIDER) is not set: the relay publishes to "ably" or "pusher".'
        : `REALTIME_PROVIDER must be "ably" or "pusher" for the relay (got "${providerRaw}"). Supabase Realtime needs no relay.`,
    );
  }
  const input = {
    provider: providerRaw,
    databaseUrl: blank(env.DATABASE_URL),
    retentionMs: blank(env.RELAY_RETENTION_MS),
    pollIntervalMs: blank(env.RELAY_POLL_INTERVAL_MS),
    batchSize: blank(env.RELAY_BATCH_SIZE),
    maxAttempts: blank(env.RELAY_MAX_ATTEMPTS),
    metricsPort: blank(env.RELAY_METRICS_PORT),
    ably: {
      apiKey: blank(env.ABLY_API_KEY),
      restHost: blank(env.ABLY_REST_HOST),
      port: blank(env.ABLY_REST_PORT),
      tls: blank(env.ABLY_REST_TLS),
    },
    pusher: {
      appId: blank(env.PUSHER_APP_ID),
      key: blank(env.PUSHER_KEY) ?? blank(env.NEXT_PUBLIC_PUSHER_KEY),
      secret: blank(env.PUSHER_SECRET),
      cluster: blank(env.PUSHER_CLUSTER) ?? blank(env.NEXT_PUBLIC_PUSHER_CLUSTER),
      host: blank(env.PUSHER_HOST),
      port: blank(env.PUSHER_PORT),
      useTLS: blank(env.PUSHER_USE_TLS),
    },
  };
  const parsed = schema.safeParse(input);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `  - ${issue.message}`);
  if (providerRaw === 'pusher' && !input.pusher.cluster && !input.pusher.host) {
    problems.push('  - PUSHER_CLUSTER (or NEXT_PUBLIC_PUSHER_CLUSTER) is not set');
  }
  if (!parsed.success || problems.length > 0) {
    throw new RelayConfigError(
      `The relay for "${providerRaw}" is not configured:\n${problems.join('\n')}\nSee README, "Switch to Ably or Pusher".`,
    );
  }
  return parsed.data;
}
