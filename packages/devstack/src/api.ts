import postgres from 'postgres';
import { createAuthService } from './auth';
import { findProjectRoot } from './config';
import { startGateway, type GatewayContext, type RunningGateway } from './gateway/server';
import type { StackKeys } from './keys';
import { createLogger, readLogFormat, type LogSink } from './log-json';
import { createDevstackMetrics, metricsService, type DevstackMetrics } from './metrics';
import { assertPortFree } from './postgres';
import { createRealtimeService, type RealtimeService } from './realtime';
import { createRestService } from './rest';
import { statusService } from './status-service';
import { StackError } from './errors';
import { defaultSupabaseConfig, readSupabaseConfig, type SupabaseConfig } from './supabase-config';

export interface ApiOptions {
  dbUrl: string;
  port: number;
  keys: StackKeys;
  env?: NodeJS.ProcessEnv;
  /** The project's config.toml settings; default: read from the project found as the CLI finds it. */
  config?: SupabaseConfig;
  /** Receives the stack's log lines (gateway, auth, rest, realtime) instead of stdout/stderr (tests). */
  logSink?: LogSink;
  /**
   * true (what `devstack start` uses): Realtime streams from the database's one
   * persistent slot `devstack_realtime_<db>`, kept between runs, so changes
   * committed while the stack was down are delivered when it starts again; a
   * second gateway on the same database is refused.
   * false (default: tests, benchmarks, several gateways on one database): a
   * slot of this gateway's own, which still survives Postgres restarts and is
   * dropped when the gateway closes.
   */
  persistentSlot?: boolean;
}

export interface RunningApi extends RunningGateway {
  keys: StackKeys;
  realtime: RealtimeService;
  /** This stack's own registry, served at GET /metrics. */
  metrics: DevstackMetrics;
}

/**
 * The project's config.toml, found as the CLI finds the project; with no project
 * at all, the CLI's defaults (what `supabase start` uses without a config.toml).
 */
function projectConfig(env: NodeJS.ProcessEnv): SupabaseConfig {
  let root: string;
  try {
    root = findProjectRoot(process.cwd(), env);
  } catch (err) {
    if (err instanceof StackError) return defaultSupabaseConfig();
    throw err;
  }
  return readSupabaseConfig(root, env);
}

/**
 * The API gateway on the Supabase CLI's port (54321 by default): GoTrue-compatible
 * auth under /auth/v1, PostgREST-compatible REST under /rest/v1 and Supabase
 * Realtime under /realtime/v1, on a connection pool of their own; Prometheus
 * metrics at /metrics; the stack's health report at /devstack/v1/status.
 */
export async function startApi(options: ApiOptions): Promise<RunningApi> {
  const env = options.env ?? process.env;
  const logger = createLogger({ format: readLogFormat(env), sink: options.logSink });
  await assertPortFree(options.port, 'API gateway', 'DEVSTACK_API_PORT');
  const sql = postgres(options.dbUrl, { max: 20, onnotice: () => {} });
  const ctx: GatewayContext = {
    sql,
    keys: options.keys,
    apiUrl: `http://127.0.0.1:${options.port}`,
    env,
    config: options.config ?? projectConfig(env),
    logger,
  };
  const metrics = createDevstackMetrics();
  let realtime: RealtimeService | null = null;
  try {
    realtime = createRealtimeService(ctx, {
      dbUrl: options.dbUrl,
      metrics,
      persistentSlot: options.persistentSlot ?? false,
    });
    await realtime.ready;
    const services = [
      createAuthService(ctx),
      createRestService(ctx),
      realtime,
      metricsService(metrics.registry),
      statusService(ctx),
    ];
    const gateway = await startGateway(options.port, services, {
      metrics,
      logger: logger.child({ service: 'gateway' }),
      keys: options.keys,
    });
    return {
      ...gateway,
      keys: options.keys,
      realtime,
      metrics,
      async close() {
        await gateway.close();
        await sql.end({ timeout: 2 });
      },
    };
  } catch (err) {
    await realtime?.close?.();
    await sql.end({ timeout: 1 });
    throw err;
  }
}
