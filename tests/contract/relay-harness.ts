import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import postgres from 'postgres';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import type { Database } from '../../lib/database.types';
import { createAblyProvider } from '../../lib/realtime/adapters/ably';
import { ChannelRefusedError, createPusherProvider } from '../../lib/realtime/adapters/pusher';
import { providerChannelName } from '../../lib/realtime/channel-names';
import { ablyServerConfig } from '../../lib/realtime/server/ably-config';
import { createAblyTokenRequest } from '../../lib/realtime/server/ably-token';
import { authorizePusherChannel } from '../../lib/realtime/server/pusher-auth';
import type { RealtimeProvider } from '../../lib/realtime/types';
import { ablyPublisher } from '../../relay/publishers/ably';
import type { Publisher } from '../../relay/publishers/publisher';
import { pusherPublisher } from '../../relay/publishers/pusher';
import { silentLogger } from '../../relay/log';
import { Relay } from '../../relay/relay';
import { startFakeAbly } from '../fakes/ably-server';
import { startFakePusher } from '../fakes/pusher-server';
import { PASSWORD, type ContractPerson } from './fixtures';
import type { ContractClient, ProviderHarness } from './harness';
import { startPrivateStack, type PrivateStack } from './private-stack';

/** What differs between Ably and Pusher: their test server, publisher and adapter. */
interface ProviderKit {
  publisher: Publisher;
  provider(
    supabase: SupabaseClient<Database>,
  ): RealtimeProvider & { disconnect?(): void; close?(): void; openChannels(): number };
  authorize(supabase: SupabaseClient<Database>, channel: string): Promise<number>;
  dropAllConnections(): void;
  refuseConnections(refuse: boolean): void;
  close(): Promise<void>;
}

/**
 * A provider fed the way production feeds Ably and Pusher: committed changes
 * land in the outbox (same trigger, same seq) and the relay publishes them
 * with the provider's server SDK into its protocol test server.
 */
function relayHarness(name: 'ably' | 'pusher', startKit: () => Promise<ProviderKit>): ProviderHarness {
  let stack: PrivateStack | null = null;
  let kit: ProviderKit | null = null;
  let relaySql: postgres.Sql | null = null;
  const abort = new AbortController();
  let relayRun: Promise<void> | null = null;

  async function signedIn(person: ContractPerson): Promise<SupabaseClient<Database>> {
    if (!stack) throw new Error('harness not started');
    const client = createClient<Database>(stack.api.url, stack.api.keys.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never },
    });
    const { error } = await client.auth.signInWithPassword({ email: person.email, password: PASSWORD });
    if (error) throw error;
    return client;
  }

  return {
    name,
    async start() {
      stack = await startPrivateStack(name);
      kit = await startKit();
      relaySql = postgres(stack.dbUrl, { max: 3, onnotice: () => {} });
      const relay = new Relay({ sql: relaySql, publisher: kit.publisher, logger: silentLogger, pollIntervalMs: 1_000 });
      relayRun = relay.run(abort.signal);
      return stack.sql;
    },
    async stop() {
      abort.abort();
      await relayRun?.catch(() => {});
      await relaySql?.end({ timeout: 1 });
      await kit?.close();
      await stack?.stop();
    },
    async client(person): Promise<ContractClient> {
      const supabase = await signedIn(person);
      const provider = kit!.provider(supabase);
      return {
        provider,
        async changesAfter(table, scope, afterSeq) {
          const { data, error } = await supabase.rpc('live_changes_after', {
            live_table: table,
            scope,
            after_seq: afterSeq,
          });
          if (error) throw error;
          return (data ?? []).map((r: { seq: number; row_id: string; version: number }) => ({
            seq: Number(r.seq),
            id: r.row_id,
            version: r.version,
          }));
        },
        openChannels: () => provider.openChannels(),
        async close() {
          provider.disconnect?.();
          provider.close?.();
        },
      };
    },
    async authorize(person, channel) {
      return kit!.authorize(await signedIn(person), channel);
    },
    async flush() {
      // Everything committed so far has been handed to the provider.
      await expect
        .poll(
          async () =>
            Number((await stack!.sql`select count(*) from realtime_outbox where delivered_at is null`)[0].count),
          { timeout: 20_000, interval: 20 },
        )
        .toBe(0);
    },
    dropConnections() {
      kit?.dropAllConnections();
    },
    blockConnections(blocked) {
      kit?.refuseConnections(blocked);
      if (blocked) kit?.dropAllConnections();
    },
  };
}

export function pusherHarness(): ProviderHarness {
  return relayHarness('pusher', async () => {
    const app = { appId: '4242', key: 'contract-key', secret: 'contract-secret' };
    const fake = await startFakePusher(app);
    return {
      publisher: pusherPublisher({ ...app, host: fake.host, port: fake.port, useTLS: false }),
      provider(supabase) {
        const provider = createPusherProvider({
          key: app.key,
          cluster: 'fake',
          host: fake.host,
          port: fake.port,
          authorize: async ({ socketId, channelName }) => {
            const result = await authorizePusherChannel(supabase, app, {
              socket_id: socketId,
              channel_name: channelName,
            });
            if (result.status === 200) return result.body;
            throw new ChannelRefusedError(result.body.error);
          },
        });
        return Object.assign(provider, { openChannels: () => provider.channelNames().length });
      },
      async authorize(supabase, channel) {
        const result = await authorizePusherChannel(supabase, app, {
          socket_id: '1234.5678',
          channel_name: providerChannelName('pusher', channel),
        });
        return result.status;
      },
      dropAllConnections: () => fake.dropAllConnections(),
      refuseConnections: (refuse) => fake.setAcceptingConnections(!refuse),
      close: () => fake.close(),
    };
  });
}

export function ablyHarness(): ProviderHarness {
  return relayHarness('ably', async () => {
    const apiKey = 'contractApp.contractKey:contract-secret-0123456789';
    const fake = await startFakeAbly({ apiKey });
    const config = ablyServerConfig({
      ABLY_API_KEY: apiKey,
      ABLY_REST_HOST: fake.host,
      ABLY_REST_PORT: String(fake.port),
      ABLY_REST_TLS: 'false',
    });
    return {
      publisher: ablyPublisher({ apiKey, restHost: fake.host, port: fake.port, tls: false }),
      provider(supabase) {
        const provider = createAblyProvider({
          host: fake.host,
          port: fake.port,
          fetchTokenRequest: async () => {
            const outcome = await createAblyTokenRequest(supabase, config);
            if (!outcome.ok) throw new Error(outcome.reason);
            return outcome.tokenRequest;
          },
        });
        return Object.assign(provider, { openChannels: () => provider.activeChannels().length });
      },
      async authorize(supabase, channel) {
        const outcome = await createAblyTokenRequest(supabase, config);
        if (!outcome.ok) return outcome.status;
        const capability = JSON.parse(outcome.tokenRequest.capability) as Record<string, string[]>;
        return capability[providerChannelName('ably', channel)]?.includes('subscribe') ? 200 : 403;
      },
      dropAllConnections: () => fake.dropAllConnections(),
      refuseConnections: (refuse) => fake.refuseConnections(refuse),
      close: () => fake.close(),
    };
  });
}
