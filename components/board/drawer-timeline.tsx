'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { shipmentHistoryQuery } from '@/lib/shipments/queries';
import type { Shipment, ShipmentEvent } from '@/lib/shipments/schema';
import { STATUS_LABEL } from '@/lib/shipments/status';
import { createClient } from '@/lib/supabase/client';

function describeEvent(event: ShipmentEvent, names: Map<string, string>): string {
  if (event.operation === 'INSERT') return 'Created';
  if (event.operation === 'DELETE') return 'Deleted';
  const parts: string[] = [];
  const changes = event.changes;
  const label = (value: unknown) => STATUS_LABEL[value as Shipment['status']] ?? String(value);
  if (changes.status) parts.push(`${label(changes.status.old)} → ${label(changes.status.new)}`);
  if (changes.driver_id)
    parts.push(
      changes.driver_id.new
        ? `assigned to ${names.get(String(changes.driver_id.new)) ?? 'a driver'}`
        : 'driver removed',
    );
  if (changes.eta)
    parts.push(
      `ETA ${changes.eta.new ? new Date(String(changes.eta.new)).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : 'cleared'}`,
    );
  if (changes.last_lat || changes.last_lng) parts.push('position reported');
  return parts.join(', ') || Object.keys(changes).join(', ') || 'Updated';
}

/**
 * A shipment's history, newest first. Live: when the board's copy of the
 * shipment reaches a version the timeline does not have yet, it reads the
 * history again (from Supabase, ordered by the depot's seq), so each change
 * appears with who made it.
 */
export function DrawerTimeline({ shipment, names }: { shipment: Shipment; names: Map<string, string> }) {
  const supabase = useMemo(() => createClient(), []);
  const queryClient = useQueryClient();
  const options = shipmentHistoryQuery(supabase, shipment.id);
  const history = useQuery(options);
  const newest = history.data?.reduce((max, e) => Math.max(max, e.version), 0) ?? null;

  useEffect(() => {
    if (newest !== null && shipment.version > newest && !history.isFetching) {
      void queryClient.invalidateQueries({ queryKey: options.queryKey, exact: true });
    }
    // options.queryKey is derived from shipment.id.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shipment.version, newest, history.isFetching, queryClient, shipment.id]);

  return (
    <section aria-labelledby="timeline-heading">
      <h3 id="timeline-heading" className="text-sm font-semibold">
        Timeline
      </h3>
      {history.data ? (
        <ol
          data-testid="timeline"
          data-version={newest ?? undefined}
          className="mt-2 space-y-2 border-l border-slate-200 pl-4 text-sm dark:border-slate-700"
        >
          {history.data.map((event) => (
            <li key={event.id} data-testid="timeline-event">
              <div>{describeEvent(event, names)}</div>
              <div className="text-xs text-slate-600 dark:text-slate-400">
                {new Date(event.created_at).toLocaleString()} ·{' '}
                {event.actor_id ? (names.get(event.actor_id) ?? 'someone') : 'system'} · #{event.seq}
              </div>
            </li>
          ))}
        </ol>
      ) : history.fetchStatus === 'paused' ? (
        <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">
          Offline: the timeline loads when the connection returns.
        </p>
      ) : history.error ? (
        <p className="mt-2 text-sm text-red-700 dark:text-red-300">{history.error.message}</p>
      ) : (
        <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">Loading…</p>
      )}
      {history.data && history.fetchStatus === 'paused' && (
        <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">Offline: showing the timeline as last loaded.</p>
      )}
    </section>
  );
}
