import type { LiveChange, VersionedRow } from './schema';

// Pure cache updates: old cache + delta → new cache. They return the SAME
// object when a delta changes nothing (older or duplicate version), so React
// Query keeps its reference and nothing re-renders. Order is the database's:
// a scope's seq (the watermark) and each row's version, never a wall clock.

/** A live list as cached: its rows and the seq they include. */
export interface LiveList<Row> {
  /**
   * Highest change seq the rows include (the scope's watermark when read), or
   * null for a list without one (an audience list: a subset of a scope).
   */
  watermark: number | null;
  rows: Row[];
}

/** A live row as cached: the row (null: gone or not visible) and the seq it includes. */
export interface LiveRow<Row> {
  watermark: number | null;
  row: Row | null;
}

/** How to find a row's primary key (as text, the form changes carry). */
export type RowKey<Row> = (row: Row) => string;

function isNewer(current: VersionedRow | undefined, version: number): boolean {
  return !current || version > current.version;
}

/** Applies one change to a list of rows, guarded by version. */
export function applyChangeToRows<Row extends VersionedRow>(
  rows: Row[],
  change: LiveChange<Row>,
  key: RowKey<Row>,
): Row[] {
  const index = rows.findIndex((r) => key(r) === change.id);
  const current = index === -1 ? undefined : rows[index];
  if (change.operation === 'DELETE' || change.record === null) {
    if (!current || current.version > change.version) return rows;
    return rows.filter((r) => key(r) !== change.id);
  }
  if (!isNewer(current, change.version)) return rows;
  if (index === -1) return [...rows, change.record];
  const next = rows.slice();
  next[index] = change.record;
  return next;
}

/** Applies a change to a live list; the watermark only moves forward. */
export function applyChangeToList<Row extends VersionedRow>(
  list: LiveList<Row> | undefined,
  change: LiveChange<Row>,
  key: RowKey<Row>,
): LiveList<Row> | undefined {
  if (!list) return list;
  const rows = applyChangeToRows(list.rows, change, key);
  const watermark = list.watermark === null ? null : Math.max(list.watermark, change.seq);
  if (rows === list.rows && watermark === list.watermark) return list;
  return { watermark, rows };
}

/**
 * Applies a change to a single row's cache, by version only: the row cache's
 * watermark belongs to the feed that started from it (see useLiveRow).
 */
export function applyChangeToRow<Row extends VersionedRow>(
  cached: LiveRow<Row> | undefined,
  change: LiveChange<Row>,
  key: RowKey<Row>,
  advanceWatermark = false,
): LiveRow<Row> | undefined {
  if (!cached) return cached;
  const watermark =
    advanceWatermark && cached.watermark !== null ? Math.max(cached.watermark, change.seq) : cached.watermark;
  const { row } = cached;
  let next = row;
  if (row && key(row) !== change.id) next = row;
  else if (change.operation === 'DELETE' || change.record === null) {
    next = row && row.version > change.version ? row : null;
  } else if (isNewer(row ?? undefined, change.version)) next = change.record;
  if (next === row && watermark === cached.watermark) return cached;
  return { watermark, row: next };
}

/** Removes a row that left an audience, unless we hold a newer version. */
export function removeRow<Row extends VersionedRow>(
  list: LiveList<Row> | undefined,
  id: string,
  version: number,
  key: RowKey<Row>,
): LiveList<Row> | undefined {
  if (!list) return list;
  const current = list.rows.find((r) => key(r) === id);
  if (!current || current.version > version) return list;
  return { ...list, rows: list.rows.filter((r) => key(r) !== id) };
}

/** Puts one row into a list (optimistic writes, saved rows), keeping a newer version already held. */
export function upsertRow<Row extends VersionedRow>(
  list: LiveList<Row> | undefined,
  row: Row,
  key: RowKey<Row>,
  force = false,
): LiveList<Row> | undefined {
  if (!list) return list;
  const id = key(row);
  const index = list.rows.findIndex((r) => key(r) === id);
  if (index === -1) return { ...list, rows: [...list.rows, row] };
  if (!force && list.rows[index].version > row.version) return list;
  if (list.rows[index] === row) return list;
  const rows = list.rows.slice();
  rows[index] = row;
  return { ...list, rows };
}

/** The higher version of two copies; a tie keeps the first (its identity, so nothing re-renders). */
function newerOf<Row extends VersionedRow>(a: Row | undefined, b: Row): Row {
  return a && a.version >= b.version ? a : b;
}

/**
 * Merges a server snapshot into a cached list by the database's order, never
 * by clocks (issue 17): a snapshot with a higher or equal watermark is the
 * newer state (its set of rows wins, each row at the higher of the two
 * versions); an older one only lifts rows whose version it has higher. Lists
 * without a watermark (audience lists) merge as "newer", row by row by version.
 * Returns `current` itself when nothing changes.
 */
export function mergeListSnapshot<Row extends VersionedRow>(
  current: LiveList<Row> | undefined,
  incoming: LiveList<Row>,
  key: RowKey<Row>,
): LiveList<Row> {
  if (!current) return incoming;
  const held = new Map(current.rows.map((r) => [key(r), r]));
  const incomingIsNewer =
    current.watermark === null || incoming.watermark === null || incoming.watermark >= current.watermark;
  if (incomingIsNewer) {
    let same = incoming.rows.length === current.rows.length && incoming.watermark === current.watermark;
    const rows = incoming.rows.map((r) => {
      const pick = newerOf(held.get(key(r)), r);
      if (pick !== held.get(key(r))) same = false;
      return pick;
    });
    return same ? current : { watermark: incoming.watermark, rows };
  }
  const lifted = new Map(incoming.rows.map((r) => [key(r), r]));
  let changed = false;
  const rows = current.rows.map((r) => {
    const pick = newerOf(r, lifted.get(key(r)) ?? r);
    if (pick !== r) changed = true;
    return pick;
  });
  return changed ? { watermark: current.watermark, rows } : current;
}

/** The same rule for a single row's cache. */
export function mergeRowSnapshot<Row extends VersionedRow>(
  current: LiveRow<Row> | undefined,
  incoming: LiveRow<Row>,
): LiveRow<Row> {
  if (!current) return incoming;
  const incomingIsNewer =
    current.watermark === null || incoming.watermark === null || incoming.watermark >= current.watermark;
  if (incomingIsNewer) {
    const row = incoming.row && current.row ? newerOf(current.row, incoming.row) : incoming.row;
    return row === current.row && incoming.watermark === current.watermark ? current : { ...incoming, row };
  }
  if (incoming.row && current.row && incoming.row.version > current.row.version) {
    return { watermark: current.watermark, row: incoming.row };
  }
  return current;
}
