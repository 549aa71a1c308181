import { etaMs, SHIPMENT_FLAGS, shipmentFlag, type ShipmentFlag } from './exceptions';
import { SHIPMENT_STATUSES, type Shipment, type ShipmentStatus } from './schema';

// The dispatcher board as data: which shipments each column shows, in which
// order, with which counts, for the filters in the URL. Pure functions over the
// cached rows (React Query), so filtering, search and sorting need no server.

export const BOARD_SORTS = ['eta', 'updated', 'reference'] as const;
/** eta: soonest first, none last · updated: last change first · reference: A→Z. */
export type BoardSort = (typeof BOARD_SORTS)[number];

export const SORT_LABEL: Record<BoardSort, string> = { eta: 'ETA', updated: 'Last change', reference: 'Reference' };

export interface BoardFilters {
  /** Free text; every word must match the reference, recipient, address or driver. */
  query: string;
  /** Columns to show; empty = all. */
  statuses: ShipmentStatus[];
  /** A driver's id, 'none' for unassigned, null for everyone. */
  driver: string | null;
  /** Only shipments with one of these flags; empty = no flag filter. */
  flags: ShipmentFlag[];
  sort: BoardSort;
}

export const DEFAULT_FILTERS: BoardFilters = { query: '', statuses: [], driver: null, flags: [], sort: 'eta' };

export interface BoardModel {
  /** The shipments each column shows, sorted. */
  columns: Record<ShipmentStatus, Shipment[]>;
  /** Shipments per status before any filter. */
  totals: Record<ShipmentStatus, number>;
  /** Shipments shown (over the columns shown) and held. */
  visible: number;
  total: number;
  /** How many shipments carry each flag, among those the other filters keep. */
  flagCounts: Record<ShipmentFlag, number>;
  /** The flag of every flagged shipment (any filter), by id. */
  flagged: Map<string, ShipmentFlag>;
  /** Every shipment held, by id (kept up to date in place by later models of the same builder). */
  byId: ReadonlyMap<string, Shipment>;
}

const textCache = new WeakMap<Shipment, string>();
function searchText(shipment: Shipment): string {
  let text = textCache.get(shipment);
  if (text === undefined) {
    text = `${shipment.reference} ${shipment.recipient} ${shipment.address}`.toLowerCase();
    textCache.set(shipment, text);
  }
  return text;
}

const updatedCache = new WeakMap<Shipment, number>();
function updatedMs(shipment: Shipment): number {
  let value = updatedCache.get(shipment);
  if (value === undefined) {
    value = Date.parse(shipment.updated_at) || 0;
    updatedCache.set(shipment, value);
  }
  return value;
}

/** The words of a search, lower-cased; an empty query has none. */
export function searchTerms(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

/** Whether a shipment matches every search word (in its own text or its driver's name). */
export function matchesSearch(shipment: Shipment, terms: string[], driverName: string | undefined): boolean {
  if (terms.length === 0) return true;
  const text = searchText(shipment);
  const name = driverName?.toLowerCase();
  return terms.every((t) => text.includes(t) || (name !== undefined && name.includes(t)));
}

function matchesDriver(shipment: Shipment, driver: string | null): boolean {
  if (driver === null) return true;
  if (driver === 'none') return shipment.driver_id === null;
  return shipment.driver_id === driver;
}

const byReference = (a: Shipment, b: Shipment) => (a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : 0);

/** The order of a sort, total (ties broken by reference, which is unique). */
export function comparatorFor(sort: BoardSort): (a: Shipment, b: Shipment) => number {
  if (sort === 'reference') return byReference;
  if (sort === 'updated') return (a, b) => updatedMs(b) - updatedMs(a) || byReference(a, b);
  return (a, b) => {
    const ea = etaMs(a);
    const eb = etaMs(b);
    if (ea !== eb) {
      if (ea === null) return 1;
      if (eb === null) return -1;
      return ea - eb;
    }
    return byReference(a, b);
  };
}

function emptyColumns<T>(make: () => T): Record<ShipmentStatus, T> {
  return Object.fromEntries(SHIPMENT_STATUSES.map((s) => [s, make()])) as Record<ShipmentStatus, T>;
}

/** Where a shipment stands against the filters: its flag, whether the non-flag filters keep it, whether it shows. */
interface Placement {
  flag: ShipmentFlag | null;
  kept: boolean;
  shown: boolean;
}

type Builder = (rows: Shipment[], filters: BoardFilters, driverNames: Map<string, string>, now: number) => BoardModel;

/** At most this many changed rows are patched into the last model; more means a full rebuild. */
const PATCH_LIMIT = 64;

/**
 * Row-level differences between two versions of the cached list, by identity
 * (the live merge replaces a changed row's object, appends new rows and
 * filters removed ones out, keeping every other object): pairs of (old, new),
 * either side null for an insert or removal; null when they differ too much.
 */
export function diffRows(
  before: Shipment[],
  after: Shipment[],
  limit = PATCH_LIMIT,
): [Shipment | null, Shipment | null][] | null {
  const changes: [Shipment | null, Shipment | null][] = [];
  if (before.length === after.length) {
    for (let i = 0; i < after.length; i++) {
      if (before[i] !== after[i]) {
        if (before[i].id !== after[i].id) return null;
        changes.push([before[i], after[i]]);
        if (changes.length > limit) return null;
      }
    }
    return changes;
  }
  let i = 0;
  while (i < before.length && i < after.length && before[i] === after[i]) i++;
  if (after.length > before.length) {
    // Appended rows (inserts) after an unchanged prefix.
    if (i !== before.length || after.length - before.length > limit) return null;
    for (let k = i; k < after.length; k++) changes.push([null, after[k]]);
    return changes;
  }
  // One or more rows removed from one place.
  const removed = before.length - after.length;
  if (removed > limit) return null;
  for (let k = i; k < after.length; k++) if (after[k] !== before[k + removed]) return null;
  for (let k = i; k < i + removed; k++) changes.push([before[k], null]);
  return changes;
}

/** The index at which `item` belongs in `sorted` (after equal items). */
function insertionIndex(sorted: Shipment[], item: Shipment, compare: (a: Shipment, b: Shipment) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(sorted[mid], item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Builds board models. A model follows the rows it was built from: when only
 * a few rows changed since the last call (a live delta) and nothing else did
 * (filters, sort, driver names, clock), it is patched: the changed rows leave
 * and enter their columns by binary search, and untouched columns keep their
 * array identity, so React skips them. Anything else rebuilds it in one pass.
 */
export function createBoardBuilder(): Builder {
  let last: {
    rows: Shipment[];
    filters: BoardFilters;
    driverNames: Map<string, string>;
    now: number;
    model: BoardModel;
  } | null = null;

  return (rows, filters, driverNames, now) => {
    const terms = searchTerms(filters.query);
    const shownStatuses = new Set(filters.statuses.length ? filters.statuses : SHIPMENT_STATUSES);
    const wantFlags = new Set(filters.flags);
    const compare = comparatorFor(filters.sort);
    const place = (s: Shipment): Placement => {
      const flag = shipmentFlag(s, now);
      const kept =
        shownStatuses.has(s.status) &&
        matchesDriver(s, filters.driver) &&
        matchesSearch(s, terms, s.driver_id ? driverNames.get(s.driver_id) : undefined);
      const shown = kept && (wantFlags.size === 0 || (flag !== null && wantFlags.has(flag)));
      return { flag, kept, shown };
    };

    const changes =
      last && last.filters === filters && last.driverNames === driverNames && last.now === now
        ? diffRows(last.rows, rows)
        : null;
    if (last && changes) {
      const previous = last.model;
      if (changes.length === 0) {
        last = { ...last, rows };
        return previous;
      }
      const columns = { ...previous.columns };
      const totals = { ...previous.totals };
      const flagCounts = { ...previous.flagCounts };
      const flagged = new Map(previous.flagged);
      const byId = previous.byId as Map<string, Shipment>;
      let visible = previous.visible;
      const copied = new Set<ShipmentStatus>();
      const column = (status: ShipmentStatus) => {
        if (!copied.has(status)) {
          columns[status] = columns[status].slice();
          copied.add(status);
        }
        return columns[status];
      };
      for (const [before, after] of changes) {
        if (before) {
          const p = place(before);
          byId.delete(before.id);
          totals[before.status] -= 1;
          if (p.flag) flagged.delete(before.id);
          if (p.kept && p.flag) flagCounts[p.flag] -= 1;
          if (p.shown) {
            const list = column(before.status);
            const at = list.indexOf(before);
            if (at !== -1) list.splice(at, 1);
            visible -= 1;
          }
        }
        if (after) {
          const p = place(after);
          byId.set(after.id, after);
          totals[after.status] += 1;
          if (p.flag) flagged.set(after.id, p.flag);
          if (p.kept && p.flag) flagCounts[p.flag] += 1;
          if (p.shown) {
            const list = column(after.status);
            list.splice(insertionIndex(list, after, compare), 0, after);
            visible += 1;
          }
        }
      }
      const model: BoardModel = { columns, totals, visible, total: rows.length, flagCounts, flagged, byId };
      last = { rows, filters, driverNames, now, model };
      return model;
    }

    const byId = new Map<string, Shipment>();
    const members = emptyColumns<Shipment[]>(() => []);
    const totals = emptyColumns(() => 0);
    const flagCounts = Object.fromEntries(SHIPMENT_FLAGS.map((f) => [f, 0])) as Record<ShipmentFlag, number>;
    const flagged = new Map<string, ShipmentFlag>();
    let visible = 0;
    for (const s of rows) {
      byId.set(s.id, s);
      totals[s.status] += 1;
      const p = place(s);
      if (p.flag) flagged.set(s.id, p.flag);
      if (p.kept && p.flag) flagCounts[p.flag] += 1;
      if (!p.shown) continue;
      members[s.status].push(s);
      visible += 1;
    }
    const columns = emptyColumns<Shipment[]>(() => []);
    for (const status of SHIPMENT_STATUSES) {
      // Keep an unchanged column's identity (same items, same order) so React skips it.
      const sorted = members[status].sort(compare);
      const before = last?.model.columns[status];
      columns[status] = before && sameItems(before, sorted) ? before : sorted;
    }
    const model: BoardModel = { columns, totals, visible, total: rows.length, flagCounts, flagged, byId };
    last = { rows, filters, driverNames, now, model };
    return model;
  };
}

function sameItems(a: Shipment[], b: Shipment[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
