import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChangeToRows } from '../../lib/live/merge';
import {
  comparatorFor,
  createBoardBuilder,
  DEFAULT_FILTERS,
  diffRows,
  type BoardFilters,
  type BoardModel,
} from '../../lib/shipments/board';
import { AT_RISK_WINDOW_MS, exceptionAnnouncement, lateBy, shipmentFlag } from '../../lib/shipments/exceptions';
import { SHIPMENT_STATUSES, type Shipment, type ShipmentChange } from '../../lib/shipments/schema';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const DEPOT = 'd0000000-0000-4000-8000-000000000001';
const DRIVERS = ['a0000000-0000-4000-8000-000000000011', 'a0000000-0000-4000-8000-000000000012'];
const NAMES = new Map([
  [DRIVERS[0], 'Niko Rivera'],
  [DRIVERS[1], 'Nadia Brooks'],
]);

function shipment(n: number, patch: Partial<Shipment> = {}): Shipment {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    depot_id: DEPOT,
    reference: `NOR-${1000 + n}`,
    recipient: `Recipient ${n}`,
    address: `${n} High Street`,
    status: 'pending',
    driver_id: null,
    eta: null,
    last_lat: null,
    last_lng: null,
    last_position_at: null,
    failure_reason: null,
    failure_note: null,
    version: 1,
    created_at: '2026-12-01T08:00:00+00:00',
    updated_at: '2026-12-01T08:00:00+00:00',
    ...patch,
  };
}

const ids = (model: BoardModel) =>
  Object.fromEntries(SHIPMENT_STATUSES.map((s) => [s, model.columns[s].map((r) => r.reference)]));

/** Everything a model says, in comparable form. */
const summary = (model: BoardModel) => ({
  columns: ids(model),
  totals: model.totals,
  visible: model.visible,
  total: model.total,
  flagCounts: model.flagCounts,
  flagged: [...model.flagged.entries()].sort(),
  byId: [...model.byId.keys()].sort(),
});

describe('shipment flags', () => {
  it('late: past the ETA and still open; at risk: due within the hour and not picked up; nothing when finished', () => {
    const past = new Date(NOW - 60_000).toISOString();
    const soon = new Date(NOW + AT_RISK_WINDOW_MS - 60_000).toISOString();
    const later = new Date(NOW + AT_RISK_WINDOW_MS + 60_000).toISOString();
    expect(shipmentFlag(shipment(1, { eta: past }), NOW)).toBe('late');
    expect(shipmentFlag(shipment(1, { eta: past, status: 'in_transit', driver_id: DRIVERS[0] }), NOW)).toBe('late');
    expect(shipmentFlag(shipment(1, { eta: past, status: 'delivered' }), NOW)).toBeNull();
    expect(shipmentFlag(shipment(1, { eta: past, status: 'failed' }), NOW)).toBeNull();
    expect(shipmentFlag(shipment(1, { eta: soon }), NOW)).toBe('at_risk');
    expect(shipmentFlag(shipment(1, { eta: soon, status: 'assigned', driver_id: DRIVERS[0] }), NOW)).toBe('at_risk');
    // On the road already: not at risk just for being due soon.
    expect(shipmentFlag(shipment(1, { eta: soon, status: 'in_transit', driver_id: DRIVERS[0] }), NOW)).toBeNull();
    expect(shipmentFlag(shipment(1, { eta: later }), NOW)).toBeNull();
    expect(shipmentFlag(shipment(1, { eta: null }), NOW)).toBeNull();
  });

  it('says how late in minutes, then hours and minutes', () => {
    expect(lateBy(shipment(1, { eta: new Date(NOW - 25 * 60_000).toISOString() }), NOW)).toBe('25 min late');
    expect(lateBy(shipment(1, { eta: new Date(NOW - 125 * 60_000).toISOString() }), NOW)).toBe('2 h 5 min late');
    expect(lateBy(shipment(1, { eta: new Date(NOW + 60_000).toISOString() }), NOW)).toBeNull();
  });

  it('announces failures and new lateness by reference, and summarises many', () => {
    const ref = (id: string) => `REF-${id}`;
    expect(exceptionAnnouncement(['a'], [], ref)).toBe('REF-a delivery failed.');
    expect(exceptionAnnouncement([], ['b', 'c'], ref)).toBe('REF-b is now late. REF-c is now late.');
    expect(exceptionAnnouncement([], ['1', '2', '3', '4'], ref)).toBe('4 shipments are now late.');
    expect(exceptionAnnouncement([], [], ref)).toBeNull();
  });
});

describe('board model', () => {
  const rows = [
    shipment(1, { eta: '2026-12-01T13:30:00+00:00', updated_at: '2026-12-01T09:00:00+00:00' }),
    shipment(2, { eta: '2026-12-01T12:30:00+00:00', updated_at: '2026-12-01T10:00:00+00:00' }),
    shipment(3, { eta: null, updated_at: '2026-12-01T11:00:00+00:00' }),
    shipment(4, {
      status: 'assigned',
      driver_id: DRIVERS[0],
      eta: '2026-12-01T11:00:00.000Z',
      recipient: 'Ada Moreau',
    }),
    shipment(5, { status: 'failed', driver_id: DRIVERS[1] }),
  ];

  it('groups by status and sorts by ETA (soonest first, none last), last change (newest first) or reference', () => {
    const build = createBoardBuilder();
    const byEta = build(rows, DEFAULT_FILTERS, NAMES, NOW);
    expect(byEta.columns.pending.map((s) => s.reference)).toEqual(['NOR-1002', 'NOR-1001', 'NOR-1003']);
    expect(byEta.columns.assigned.map((s) => s.reference)).toEqual(['NOR-1004']);
    expect(byEta.totals).toMatchObject({ pending: 3, assigned: 1, failed: 1, delivered: 0 });
    const byChange = build(rows, { ...DEFAULT_FILTERS, sort: 'updated' }, NAMES, NOW);
    expect(byChange.columns.pending.map((s) => s.reference)).toEqual(['NOR-1003', 'NOR-1002', 'NOR-1001']);
    const byReference = build(rows, { ...DEFAULT_FILTERS, sort: 'reference' }, NAMES, NOW);
    expect(byReference.columns.pending.map((s) => s.reference)).toEqual(['NOR-1001', 'NOR-1002', 'NOR-1003']);
  });

  it('compares ETAs as instants, whatever their text form (Postgres +00:00, browser Z)', () => {
    const a = shipment(1, { eta: '2026-12-01T12:00:00+01:00' }); // 11:00 UTC
    const b = shipment(2, { eta: '2026-12-01T11:30:00.000Z' });
    expect([b, a].sort(comparatorFor('eta')).map((s) => s.reference)).toEqual(['NOR-1001', 'NOR-1002']);
  });

  it('searches every word in reference, recipient, address and driver name, case-insensitively', () => {
    const build = createBoardBuilder();
    const search = (query: string) => build(rows, { ...DEFAULT_FILTERS, query }, NAMES, NOW);
    expect(search('nor-1004').visible).toBe(1);
    expect(search('ada').columns.assigned.map((s) => s.reference)).toEqual(['NOR-1004']);
    expect(search('niko ada').visible).toBe(1);
    expect(search('nadia').columns.failed.map((s) => s.reference)).toEqual(['NOR-1005']);
    expect(search('High   Street').visible).toBe(5);
    const none = search('zzz');
    expect(none.visible).toBe(0);
    expect(none.total).toBe(5);
  });

  it('filters by driver, unassigned, status and flag, and counts flags among what the other filters keep', () => {
    const build = createBoardBuilder();
    expect(build(rows, { ...DEFAULT_FILTERS, driver: 'none' }, NAMES, NOW).visible).toBe(3);
    expect(build(rows, { ...DEFAULT_FILTERS, driver: DRIVERS[1] }, NAMES, NOW).visible).toBe(1);
    expect(build(rows, { ...DEFAULT_FILTERS, statuses: ['failed'] }, NAMES, NOW).visible).toBe(1);
    const all = build(rows, DEFAULT_FILTERS, NAMES, NOW);
    expect(all.flagCounts).toEqual({ late: 1, at_risk: 1 });
    expect(all.flagged.get(rows[3].id)).toBe('late');
    expect(all.flagged.get(rows[1].id)).toBe('at_risk');
    const late = build(rows, { ...DEFAULT_FILTERS, flags: ['late'] }, NAMES, NOW);
    expect(late.columns.assigned.map((s) => s.reference)).toEqual(['NOR-1004']);
    expect(late.visible).toBe(1);
    // The flag filter does not change the counts on the flag buttons.
    expect(late.flagCounts).toEqual({ late: 1, at_risk: 1 });
  });

  it('a delta keeps the untouched columns identical (same array) and re-sorts only where it landed', () => {
    const build = createBoardBuilder();
    const first = build(rows, DEFAULT_FILTERS, NAMES, NOW);
    const moved = { ...rows[0], status: 'assigned' as const, driver_id: DRIVERS[0], version: 2 };
    const next = rows.map((r) => (r.id === moved.id ? moved : r));
    const second = build(next, DEFAULT_FILTERS, NAMES, NOW);
    expect(second.columns.failed).toBe(first.columns.failed);
    expect(second.columns.pending.map((s) => s.reference)).toEqual(['NOR-1002', 'NOR-1003']);
    expect(second.columns.assigned.map((s) => s.reference)).toEqual(['NOR-1004', 'NOR-1001']);
    expect(summary(second)).toEqual(summary(createBoardBuilder()(next, DEFAULT_FILTERS, NAMES, NOW)));
  });

  it('diffRows recognises replaced, appended and removed rows by identity, and gives up on reorders', () => {
    const a = shipment(1);
    const b = shipment(2);
    const c = shipment(3);
    const b2 = { ...b, version: 2 };
    expect(diffRows([a, b, c], [a, b2, c])).toEqual([[b, b2]]);
    expect(diffRows([a, b], [a, b, c])).toEqual([[null, c]]);
    expect(diffRows([a, b, c], [a, c])).toEqual([[b, null]]);
    expect(diffRows([a, b, c], [c, b, a])).toBeNull();
  });

  // The patched model must always equal a model built from scratch.
  it('property: after any run of live changes, the patched model equals a fresh build', () => {
    const statuses = fc.constantFrom(...SHIPMENT_STATUSES);
    const change = fc.record({
      kind: fc.constantFrom('update', 'insert', 'delete'),
      pick: fc.nat(),
      status: statuses,
      driver: fc.constantFrom(null, DRIVERS[0], DRIVERS[1]),
      etaMinutes: fc.option(fc.integer({ min: -180, max: 180 }), { nil: null }),
    });
    const filters = fc.record<BoardFilters>({
      query: fc.constantFrom('', 'nor-10', 'niko', 'street 1'),
      statuses: fc.subarray([...SHIPMENT_STATUSES]),
      driver: fc.constantFrom(null, 'none', DRIVERS[0]),
      flags: fc.subarray(['late', 'at_risk'] as const),
      sort: fc.constantFrom('eta', 'updated', 'reference'),
    });
    fc.assert(
      fc.property(filters, fc.array(change, { maxLength: 40 }), (f, changes) => {
        let list = Array.from({ length: 12 }, (_, i) =>
          shipment(i + 1, { eta: i % 3 === 0 ? null : new Date(NOW + (i - 6) * 20 * 60_000).toISOString() }),
        );
        let next = 100;
        let seq = 0;
        const build = createBoardBuilder();
        build(list, f, NAMES, NOW);
        for (const c of changes) {
          let delta: ShipmentChange;
          if (c.kind === 'insert' || list.length === 0) {
            const row = shipment(next++, { status: c.status, driver_id: c.driver });
            delta = { seq: ++seq, scope: DEPOT, id: row.id, version: 1, operation: 'INSERT', changed: [], record: row };
          } else {
            const current = list[c.pick % list.length];
            const record =
              c.kind === 'delete'
                ? null
                : {
                    ...current,
                    status: c.status,
                    driver_id: c.driver,
                    eta: c.etaMinutes === null ? null : new Date(NOW + c.etaMinutes * 60_000).toISOString(),
                    version: current.version + 1,
                    updated_at: new Date(NOW + seq * 1000).toISOString(),
                  };
            delta = {
              seq: ++seq,
              scope: DEPOT,
              id: current.id,
              version: current.version + 1,
              operation: record ? 'UPDATE' : 'DELETE',
              changed: ['status'],
              record,
            };
          }
          list = applyChangeToRows(list, delta, (r) => r.id);
          const patched = build(list, f, NAMES, NOW);
          expect(summary(patched)).toEqual(summary(createBoardBuilder()(list, f, NAMES, NOW)));
        }
      }),
      { numRuns: 200 },
    );
  });
});
