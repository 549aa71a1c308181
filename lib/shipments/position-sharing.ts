'use client';

import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Depot } from './queries';

export type PositionSource = 'off' | 'device' | 'simulated';

export interface Fix {
  lat: number;
  lng: number;
  at: number;
}

export const BROADCAST_INTERVAL_MS = 1_000;
export const PERSIST_INTERVAL_MS = 15_000;

/** A loop around the depot area, one step per second: a stand-in for GPS in demos and tests. */
export function simulatedRoute(depot: Depot, seed: number): (tick: number) => Fix {
  const cLat = (depot.min_lat + depot.max_lat) / 2;
  const cLng = (depot.min_lng + depot.max_lng) / 2;
  const rLat = ((depot.max_lat - depot.min_lat) / 2) * 0.7;
  const rLng = ((depot.max_lng - depot.min_lng) / 2) * 0.7;
  return (tick) => {
    const angle = seed + tick / 30;
    return { lat: cLat + rLat * Math.sin(angle), lng: cLng + rLng * Math.cos(angle), at: Date.now() };
  };
}

/**
 * Produces position fixes from the device (geolocation) or a simulated route,
 * calling `onBroadcast` at most once per second and `onPersist` at most once
 * every 15 seconds.
 */
export function usePositionSharing(
  source: PositionSource,
  depot: Depot,
  onBroadcast: (fix: Fix) => void,
  onPersist: (fix: Fix) => void,
): { last: Fix | null; error: string | null } {
  const [last, setLast] = useState<Fix | null>(null);
  // The error belongs to the source that raised it, so switching sources clears it.
  const [failure, setFailure] = useState<{ source: PositionSource; message: string } | null>(null);
  const callbacks = useRef({ onBroadcast, onPersist });
  useLayoutEffect(() => {
    callbacks.current = { onBroadcast, onPersist };
  });

  useEffect(() => {
    if (source === 'off') return;
    let lastBroadcast = 0;
    let lastPersist = 0;
    const accept = (fix: Fix) => {
      setLast(fix);
      if (fix.at - lastBroadcast >= BROADCAST_INTERVAL_MS) {
        lastBroadcast = fix.at;
        callbacks.current.onBroadcast(fix);
      }
      if (fix.at - lastPersist >= PERSIST_INTERVAL_MS) {
        lastPersist = fix.at;
        callbacks.current.onPersist(fix);
      }
    };
    if (source === 'simulated') {
      const route = simulatedRoute(depot, Math.random() * Math.PI * 2);
      let tick = 0;
      accept(route(tick));
      const timer = setInterval(() => accept(route(++tick)), BROADCAST_INTERVAL_MS);
      return () => clearInterval(timer);
    }
    if (!('geolocation' in navigator)) return;
    const watch = navigator.geolocation.watchPosition(
      (p) => accept({ lat: p.coords.latitude, lng: p.coords.longitude, at: Date.now() }),
      (e) => setFailure({ source, message: `Location unavailable: ${e.message}` }),
      { enableHighAccuracy: true, maximumAge: 5_000 },
    );
    return () => navigator.geolocation.clearWatch(watch);
  }, [source, depot]);

  const unsupported = source === 'device' && typeof navigator !== 'undefined' && !('geolocation' in navigator);
  const error = unsupported
    ? 'This browser has no geolocation. Use the simulated route instead.'
    : failure?.source === source
      ? failure.message
      : null;
  return { last, error };
}
