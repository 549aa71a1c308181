'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createClient } from '@/lib/supabase/client';
import type { Database } from '@/lib/database.types';
import type { DepotBoard } from './merge';
import { fetchShipment, shipmentKeys } from './queries';
import { shipmentSchema, type Shipment } from './schema';

export type ShipmentPatch = Pick<
  Database['public']['Tables']['shipments']['Update'],
  'status' | 'driver_id' | 'eta' | 'last_lat' | 'last_lng' | 'last_position_at'
>;

/** A refusal the person can read: what the database said, in plain words. */
export class ShipmentUpdateError extends Error {
  constructor(
    message: string,
    readonly kind: 'conflict' | 'forbidden' | 'invalid' | 'gone' | 'network',
  ) {
    super(message);
    this.name = 'ShipmentUpdateError';
  }
}

function explain(error: { message: string; code?: string; hint?: string | null }): ShipmentUpdateError {
  const hint = error.hint ? ` ${error.hint}.` : '';
  if (error.code === '23514') return new ShipmentUpdateError(`${error.message}.${hint}`, 'invalid');
  if (error.code === '42501') return new ShipmentUpdateError(`Not allowed: ${error.message}.`, 'forbidden');
  return new ShipmentUpdateError(error.message || 'The change could not be saved.', error.code ? 'invalid' : 'network');
}

function replaceInBoard(board: DepotBoard | undefined, shipment: Shipment): DepotBoard | undefined {
  if (!board) return board;
  return { ...board, shipments: board.shipments.map((s) => (s.id === shipment.id ? shipment : s)) };
}

function replaceInList(list: Shipment[] | undefined, shipment: Shipment): Shipment[] | undefined {
  return list?.map((s) => (s.id === shipment.id ? shipment : s));
}

interface Variables {
  shipment: Shipment;
  patch: ShipmentPatch;
}

/**
 * Updates a shipment optimistically: the caches show the change at once, the
 * write is guarded by the version the person saw (`where version = n`), and a
 * refusal rolls the shipment back and says why (transition rule, permission,
 * or someone else's newer change).
 */
export function useUpdateShipment(options: { boardDepotId?: string; driverId?: string } = {}) {
  const queryClient = useQueryClient();
  const boardKey = options.boardDepotId ? shipmentKeys.board(options.boardDepotId) : null;
  const driverKey = options.driverId ? shipmentKeys.driver(options.driverId) : null;

  const writeEverywhere = (shipment: Shipment) => {
    if (boardKey) queryClient.setQueryData<DepotBoard>(boardKey, (b) => replaceInBoard(b, shipment));
    if (driverKey) queryClient.setQueryData<Shipment[]>(driverKey, (l) => replaceInList(l, shipment));
    queryClient.setQueryData<Shipment | null>(shipmentKeys.detail(shipment.id), (d) =>
      d === undefined ? d : shipment,
    );
  };

  /** The copy we now hold, wherever it is cached. */
  const current = (id: string): Shipment | undefined =>
    (boardKey && queryClient.getQueryData<DepotBoard>(boardKey)?.shipments.find((s) => s.id === id)) ||
    (driverKey && queryClient.getQueryData<Shipment[]>(driverKey)?.find((s) => s.id === id)) ||
    queryClient.getQueryData<Shipment | null>(shipmentKeys.detail(id)) ||
    undefined;

  return useMutation({
    mutationFn: async ({ shipment, patch }: Variables): Promise<Shipment> => {
      const supabase = createClient();
      const { data, error } = await supabase
        .from('shipments')
        .update(patch)
        .eq('id', shipment.id)
        .eq('version', shipment.version)
        .select(
          'id, depot_id, reference, recipient, address, status, driver_id, eta, last_lat, last_lng, last_position_at, version, created_at, updated_at',
        )
        .maybeSingle();
      if (error) throw explain(error);
      if (data) return shipmentSchema.parse(data);
      // No row updated: either RLS hides it now or someone changed it first.
      const latest = await fetchShipment(supabase, shipment.id).catch(() => null);
      if (!latest)
        throw new ShipmentUpdateError(
          'You can no longer change this shipment (it was reassigned or you lost access).',
          'gone',
        );
      writeEverywhere(latest);
      throw new ShipmentUpdateError(
        `Someone else changed ${shipment.reference} first (now ${latest.status.replace('_', ' ')}, version ${latest.version}). Review the latest state and try again.`,
        'conflict',
      );
    },
    onMutate: async ({ shipment, patch }: Variables) => {
      const optimistic: Shipment = { ...shipment, ...(patch as Partial<Shipment>) };
      writeEverywhere(optimistic);
      return { previous: shipment };
    },
    onError: (_error, { shipment }, context) => {
      // Roll back only if nothing newer arrived meanwhile (a live delta wins).
      const held = current(shipment.id);
      if (context && held && held.version === context.previous.version) writeEverywhere(context.previous);
    },
    onSuccess: (saved) => {
      const held = current(saved.id);
      if (!held || held.version <= saved.version) writeEverywhere(saved);
    },
  });
}
