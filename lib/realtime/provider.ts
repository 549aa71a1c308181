import { createClient } from '@/lib/supabase/client';
import { createSupabaseProvider } from './adapters/supabase';
import { publicRealtimeConfig } from './config';
import type { RealtimeProvider } from './types';

let provider: Promise<RealtimeProvider> | null = null;

/**
 * The tab's realtime provider, chosen by NEXT_PUBLIC_REALTIME_PROVIDER. Only
 * the chosen adapter's SDK is loaded (the others are separate chunks, never
 * fetched), and one instance serves the whole tab.
 */
export function loadRealtimeProvider(): Promise<RealtimeProvider> {
  provider ??= (async (): Promise<RealtimeProvider> => {
    const config = publicRealtimeConfig();
    switch (config.provider) {
      case 'supabase':
        return createSupabaseProvider(createClient());
      case 'pusher': {
        // Loaded on demand: only builds configured for Pusher ever fetch pusher-js.
        const { createPusherProvider } = await import('./adapters/pusher');
        return createPusherProvider({
          key: config.pusherKey,
          cluster: config.pusherCluster,
          host: config.pusherHost,
          port: config.pusherPort,
        });
      }
      case 'ably': {
        // Loaded on demand: only builds configured for Ably ever fetch the ably SDK.
        const { createAblyProvider } = await import('./adapters/ably');
        const ably = createAblyProvider({ host: config.ablyHost, port: config.ablyPort });
        // Capabilities follow the Supabase session: a new sign-in gets a new token.
        createClient().auth.onAuthStateChange((event) => {
          if (event === 'SIGNED_IN' || event === 'SIGNED_OUT' || event === 'USER_UPDATED') void ably.refreshAuth();
        });
        return ably;
      }
    }
  })();
  return provider;
}
