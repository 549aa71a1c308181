import { describe, expect, it } from 'vitest';
import { assignmentPatch } from '../../lib/shipments/assign';
import {
  explainCreateError,
  newShipmentSchema,
  optimisticShipment,
  suggestReference,
} from '../../lib/shipments/create';
import { RefusalStore } from '../../lib/shipments/refusals';
import type { Shipment } from '../../lib/shipments/schema';

const ID = '00000000-0000-4000-8000-000000000001';
const DEPOT = 'd0000000-0000-4000-8000-000000000001';
const DRIVER = 'a0000000-0000-4000-8000-000000000011';
const valid = {
  id: ID,
  depot_id: DEPOT,
  reference: ' nor-2001 ',
  recipient: ' Ada Moreau ',
  address: '1 Mill Lane',
  eta: '2026-12-01T12:00:00.000Z',
  driver_id: null,
};

describe('new shipment schema (the form and the server action)', () => {
  it('accepts a valid shipment, trimming and upper-casing the reference', () => {
    const parsed = newShipmentSchema.parse(valid);
    expect(parsed).toMatchObject({ reference: 'NOR-2001', recipient: 'Ada Moreau', eta: '2026-12-01T12:00:00.000Z' });
    expect(newShipmentSchema.parse({ ...valid, eta: '2026-12-01T12:00:00+01:00' }).eta).toBe(
      '2026-12-01T12:00:00+01:00',
    );
  });

  it.each([
    ['reference', { reference: 'no' }, 'A reference is 3–32 capital letters'],
    ['reference', { reference: 'NOR 1' }, 'A reference is 3–32 capital letters'],
    ['recipient', { recipient: '   ' }, 'Enter the recipient.'],
    ['address', { address: 'x'.repeat(501) }, 'The address is at most 500 characters.'],
    ['eta', { eta: 'tomorrow' }, 'Enter the ETA as a date and time.'],
    ['driver_id', { driver_id: 'not-a-uuid' }, ''],
    ['id', { id: 'x' }, ''],
  ])('refuses a bad %s with a message for that field', (field, patch, message) => {
    const result = newShipmentSchema.safeParse({ ...valid, ...patch });
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path[0] === field);
    expect(issue).toBeDefined();
    if (message) expect(issue!.message).toContain(message);
  });

  it('builds the optimistic row the database will store (pending, or assigned with a driver)', () => {
    const row = optimisticShipment(newShipmentSchema.parse(valid), '2026-12-01T10:00:00.000Z');
    expect(row).toMatchObject({ id: ID, status: 'pending', version: 1, reference: 'NOR-2001' });
    expect(optimisticShipment(newShipmentSchema.parse({ ...valid, driver_id: DRIVER }), 'now').status).toBe('assigned');
  });

  it('suggests the next reference of the depot, and explains refusals in words', () => {
    const rows = [{ reference: 'NOR-1029' }, { reference: 'NOR-1003' }, { reference: 'E2E-ABC' }] as Shipment[];
    expect(suggestReference(rows, 'XXX')).toBe('NOR-1030');
    expect(suggestReference([], 'SOU')).toBe('SOU-1001');
    expect(explainCreateError({ code: '23505', message: 'duplicate key' }, 'NOR-1')).toBe(
      'NOR-1 already exists. Choose another reference.',
    );
  });
});

describe('assignment patch', () => {
  const base = { status: 'pending', driver_id: null } as Shipment;
  it('predicts the status the database sets, so the card moves at once', () => {
    expect(assignmentPatch(base, DRIVER)).toEqual({ driver_id: DRIVER, status: 'assigned' });
    expect(assignmentPatch({ ...base, status: 'assigned', driver_id: DRIVER }, null)).toEqual({
      driver_id: null,
      status: 'pending',
    });
    expect(assignmentPatch({ ...base, status: 'picked_up', driver_id: DRIVER }, null)).toEqual({ driver_id: null });
  });
});

describe('refusals', () => {
  it('belong to one shipment and clear when it moves past the refused version, on success or dismissal', () => {
    const store = new RefusalStore();
    let notified = 0;
    store.subscribe(() => notified++);
    store.add({ shipmentId: 'a', reference: 'NOR-1', message: 'no', kind: 'conflict', version: 3 });
    store.add({ shipmentId: 'b', reference: 'NOR-2', message: 'no', kind: 'invalid', version: 1 });
    expect([...store.getSnapshot().keys()]).toEqual(['a', 'b']);
    store.shipmentChanged('a', 3); // the change that caused it: still there
    expect(store.getSnapshot().has('a')).toBe(true);
    store.shipmentChanged('a', 4); // a newer state: the refusal is stale
    expect(store.getSnapshot().has('a')).toBe(false);
    const before = store.getSnapshot();
    store.clear('zzz'); // nothing to clear: same snapshot, nobody notified
    expect(store.getSnapshot()).toBe(before);
    store.clear('b');
    expect(store.getSnapshot().size).toBe(0);
    expect(notified).toBe(4);
  });
});
