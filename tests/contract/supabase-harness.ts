import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { WebSocket } from 'ws';
import { createSupabaseProvider, realtimeSocketOptions } from '../../lib/realtime/adapters/supabase';
import { PASSWORD, type ContractPerson } from './fixtures';
import type { ContractClient, ProviderHarness } from './harness';
import { startPrivateStack, type PrivateStack } from './private-stack';
import { startWebSocketBlocker } from './websocket-blocker';

/** Supabase Realtime on a private database and gateway (dropping its sockets disturbs no other test file). */
export function supabaseHarness(): ProviderHarness {
  let stack: PrivateStack | null = null;
  let blocker: Awaited<ReturnType<typeof startWebSocketBlocker>> | null = null;

  async function signedIn(person: ContractPerson): Promise<SupabaseClient> {
    if (!stack) throw new Error('harness not started');
    const client = createClient(stack.api.url, stack.api.keys.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: (blocker?.transport ?? WebSocket) as never, ...realtimeSocketOptions() },
    });
    const { error } = await client.auth.signInWithPassword({ email: person.email, password: PASSWORD });
    if (error) throw error;
    return client;
  }

  return {
    name: 'supabase',
    async start() {
      stack = await startPrivateStack('supabase');
      blocker = await startWebSocketBlocker();
      return stack.sql;
    },
    async stop() {
      await blocker?.close();
      await stack?.stop();
    },
    async client(person): Promise<ContractClient> {
      const supabase = await signedIn(person);
      const provider = createSupabaseProvider(supabase);
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
        openChannels: () => supabase.getChannels().length,
        async close() {
          // Through the provider, so its channels leave the tab's status too.
          await provider.close();
          await supabase.realtime.disconnect();
        },
      };
    },
    async authorize(person, channel) {
      const supabase = await signedIn(person);
      try {
        const status = await new Promise<string>((resolve) => {
          supabase.channel(channel, { config: { private: true } }).subscribe((s, err) => {
            if (s === 'SUBSCRIBED') resolve('ok');
            if (s === 'CHANNEL_ERROR') resolve(err?.message ?? 'error');
          });
        });
        return status === 'ok' ? 200 : /Unauthorized/.test(status) ? 403 : 500;
      } finally {
        await supabase.removeAllChannels();
        supabase.realtime.disconnect();
      }
    },
    // The database sends to Supabase Realtime itself, on commit.
    async flush() {},
    dropConnections() {
      stack?.api.realtime.dropAllConnections();
    },
    blockConnections(blocked) {
      blocker?.setBlocked(blocked);
      if (blocked) stack?.api.realtime.dropAllConnections();
    },
  };
}
