'use client';

import { useEffect, useLayoutEffect, useRef, type RefObject } from 'react';
import { loadRealtimeProvider } from './provider';
import type { ChannelOptions, ChannelSubscription } from './types';

/**
 * Subscribes to a logical channel for the lifetime of a component and returns
 * the live subscription (null until the provider has joined). Handlers always
 * see the latest props; the subscription only changes with the channel, the
 * set of event names or the presence key. Unmounting unsubscribes (the
 * adapters share one provider channel per topic, so StrictMode's extra
 * mount/unmount never leaves a duplicate).
 */
export function useChannel(
  channel: string | null,
  options: ChannelOptions,
  delayMs = 0,
): RefObject<ChannelSubscription | null> {
  const latest = useRef(options);
  useLayoutEffect(() => {
    latest.current = options;
  });
  const subscription = useRef<ChannelSubscription | null>(null);
  const eventNames = Object.keys(options.events).sort().join(',');
  const presenceKey = options.presence?.key ?? null;

  useEffect(() => {
    if (!channel) return;
    let cancelled = false;
    let sub: ChannelSubscription | null = null;
    const stable: ChannelOptions = {
      events: Object.fromEntries(
        eventNames
          .split(',')
          .filter(Boolean)
          .map((name) => [name, (payload: unknown) => latest.current.events[name]?.(payload)]),
      ),
      onSubscribed: () => latest.current.onSubscribed?.(),
      onRefused: (reason) => latest.current.onRefused?.(reason),
      presence: presenceKey
        ? { key: presenceKey, onSync: (state) => latest.current.presence?.onSync(state) }
        : undefined,
    };
    const start = () => {
      loadRealtimeProvider().then(
        (provider) => {
          if (cancelled) return;
          sub = provider.subscribe(channel, stable);
          subscription.current = sub;
        },
        (error: unknown) => console.error('[realtime] the realtime provider could not start', error),
      );
    };
    const timer = delayMs > 0 ? setTimeout(start, delayMs) : null;
    if (!timer) start();
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
      sub?.unsubscribe();
      if (subscription.current === sub) subscription.current = null;
    };
  }, [channel, eventNames, presenceKey, delayMs]);

  return subscription;
}
