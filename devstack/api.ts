import postgres from 'postgres';
import { createAuthService } from './auth';
import { startGateway, type GatewayContext, type RunningGateway } from './gateway/server';
import type { StackKeys } from './keys';
import { assertPortFree } from './postgres';
import { createRealtimeService, type RealtimeService } from './realtime';
import { createRestService } from './rest';

export interface ApiOptions {
  dbUrl: string;
  port: number;
  keys: StackKeys;
  env?: NodeJS.ProcessEnv;
}

export interface RunningApi extends RunningGateway {
  keys: StackKeys;
  realtime: RealtimeService;
}

/**
 * The API gateway on the Supabase CLI's port (54321 by default): GoTrue-compatible
 * auth under /auth/v1, PostgREST-compatible REST under /rest/v1 and Supabase
 * Realtime under /realtime/v1, on a connection pool of their own.
 */
export async function startApi(options: ApiOptions): Promise<RunningApi> {
  await assertPortFree(options.port, 'API gateway');
  const sql = postgres(options.dbUrl, { max: 20, onnotice: () => {} });
  const ctx: GatewayContext = {
    sql,
    keys: options.keys,
    apiUrl: `http://127.0.0.1:${options.port}`,
    env: options.env ?? process.env,
  };
  let realtime: RealtimeService | null = null;
  try {
    realtime = createRealtimeService(ctx, { dbUrl: options.dbUrl });
    await realtime.ready;
    const gateway = await startGateway(options.port, [createAuthService(ctx), createRestService(ctx), realtime]);
    return {
      ...gateway,
      keys: options.keys,
      realtime,
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
