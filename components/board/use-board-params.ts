'use client';

import {
  parseAsArrayOf,
  parseAsBoolean,
  parseAsString,
  parseAsStringLiteral,
  useQueryStates,
  type inferParserType,
} from 'nuqs';
import { useMemo } from 'react';
import { BOARD_SORTS, type BoardFilters } from '@/lib/shipments/board';
import { SHIPMENT_FLAGS } from '@/lib/shipments/exceptions';
import { SHIPMENT_STATUSES, type ShipmentStatus } from '@/lib/shipments/schema';

// The board's state lives in the URL (shareable, survives reloads, Back/Forward)
// and changes without a server round trip: nuqs writes it with the History API
// (shallow), which Next's router follows without fetching anything, so search,
// filters and the drawer keep working offline.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Finished columns start collapsed, so the five working ones fit a 1280 px screen. */
export const DEFAULT_COLLAPSED: ShipmentStatus[] = ['delivered', 'cancelled'];

export const boardParams = {
  q: parseAsString.withDefault(''),
  status: parseAsArrayOf(parseAsStringLiteral(SHIPMENT_STATUSES)).withDefault([]),
  driver: parseAsString,
  flag: parseAsArrayOf(parseAsStringLiteral(SHIPMENT_FLAGS)).withDefault([]),
  sort: parseAsStringLiteral(BOARD_SORTS).withDefault('eta'),
  collapsed: parseAsArrayOf(parseAsStringLiteral(SHIPMENT_STATUSES)).withDefault(DEFAULT_COLLAPSED),
  map: parseAsBoolean.withDefault(false),
  /** The shipment open in the drawer. */
  shipment: parseAsString,
};

export type BoardParams = inferParserType<typeof boardParams>;

/** The board's URL state: filters (stable object identity while unchanged), the drawer, the layout. */
export function useBoardParams() {
  const [params, setParams] = useQueryStates(boardParams, { history: 'replace', scroll: false });
  const shipment = params.shipment && UUID.test(params.shipment) ? params.shipment : null;
  const { q, driver, sort } = params;
  // Keyed by value: the board model is rebuilt only when a filter really changes.
  const statusKey = params.status.join(',');
  const flagKey = params.flag.join(',');
  const filters = useMemo<BoardFilters>(
    () => ({
      query: q,
      statuses: statusKey ? (statusKey.split(',') as ShipmentStatus[]) : [],
      driver,
      flags: flagKey ? (flagKey.split(',') as BoardFilters['flags']) : [],
      sort,
    }),
    [q, statusKey, driver, flagKey, sort],
  );
  return { params, filters, shipment, setParams };
}
