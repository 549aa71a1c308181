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

/** GeolocationPositionError codes (the Geolocation API). */
export const LOCATION_ERROR = { PERMISSION_DENIED: 1, POSITION_UNAVAILABLE: 2, TIMEOUT: 3 } as const;

/** How long one GPS fix may take before the browser reports a timeout (and keeps trying). */
export const LOCATION_TIMEOUT_MS = 20_000;

/** What went wrong with the phone's location, and what to do about it. */
export interface LocationProblem {
  kind: 'denied' | 'unavailable' | 'timeout' | 'unsupported' | 'insecure';
  title: string;
  advice: string;
}

/** Explains a geolocation failure in a driver's words (never the browser's raw message). */
export function explainLocationError(code: number): LocationProblem {
  if (code === LOCATION_ERROR.PERMISSION_DENIED)
    return {
      kind: 'denied',
      title: 'Location access is blocked for this site.',
      advice:
        'Allow location for this site in your browser (tap the icon left of the address, then Permissions or Site settings), and on the phone turn on location for the browser. Then choose GPS again. Your status buttons work without it.',
    };
  if (code === LOCATION_ERROR.TIMEOUT)
    return {
      kind: 'timeout',
      title: 'Finding your position is taking too long.',
      advice:
        'Still trying. Move to where the phone can see the sky, or turn location off and on again. Your status buttons work without it.',
    };
  return {
    kind: 'unavailable',
    title: 'Your phone cannot find its position right now.',
    advice:
      'Check that location (GPS) is turned on in the phone’s settings. Still trying; underground or indoors it may take a while.',
  };
}

const UNSUPPORTED: LocationProblem = {
  kind: 'unsupported',
  title: 'This browser cannot share your location.',
  advice: 'Open the app in Chrome or Safari on your phone, or use the simulated route.',
};
const INSECURE: LocationProblem = {
  kind: 'insecure',
  title: 'Location needs a secure (https) connection.',
  advice: 'Open the app through its https address; until then, use the simulated route.',
};

/**
 * Produces position fixes from the device (geolocation) or a simulated route,
 * calling `onBroadcast` at most once per second and `onPersist` at most once
 * every 15 seconds. `problem` explains why the device gives no position (and
 * clears with the next fix).
 */
export function usePositionSharing(
  source: PositionSource,
  depot: Depot,
  onBroadcast: (fix: Fix) => void,
  onPersist: (fix: Fix) => void,
): { last: Fix | null; problem: LocationProblem | null } {
  const [last, setLast] = useState<Fix | null>(null);
  // The problem belongs to the source that raised it, so switching sources clears it.
  const [failure, setFailure] = useState<{ source: PositionSource; problem: LocationProblem } | null>(null);
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
    if (!('geolocation' in navigator) || window.isSecureContext === false) return;
    const watch = navigator.geolocation.watchPosition(
      (p) => {
        setFailure(null);
        accept({ lat: p.coords.latitude, lng: p.coords.longitude, at: Date.now() });
      },
      // Timeouts and lost signal are reported while the watch goes on trying; a denial ends it.
      (e) => setFailure({ source, problem: explainLocationError(e.code) }),
      { enableHighAccuracy: true, maximumAge: 5_000, timeout: LOCATION_TIMEOUT_MS },
    );
    return () => navigator.geolocation.clearWatch(watch);
  }, [source, depot]);

  let problem: LocationProblem | null = failure?.source === source ? failure.problem : null;
  if (source === 'device' && typeof window !== 'undefined') {
    if (window.isSecureContext === false) problem = INSECURE;
    else if (!('geolocation' in navigator)) problem = UNSUPPORTED;
  }
  return { last, problem };
}
