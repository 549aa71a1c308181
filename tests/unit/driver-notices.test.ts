// What the driver is told (lib/shipments/driver-notices.ts), the failure report
// they submit (lib/shipments/failure.ts) and location problems explained
// (lib/shipments/position-sharing.ts): pure functions, every message checked.
import { describe, expect, it } from 'vitest';
import type { QueuedWrite } from '../../lib/live/queued-writes';
import { assignmentNotices, describeOutcome, knownShipments, sentNotice } from '../../lib/shipments/driver-notices';
import { describeFailure, failureReportSchema } from '../../lib/shipments/failure';
import { explainLocationError, LOCATION_ERROR } from '../../lib/shipments/position-sharing';
import type { Shipment } from '../../lib/shipments/schema';

const shipment = (id: string, reference: string, patch: Partial<Shipment> = {}): Shipment => ({
  id,
  depot_id: '00000000-0000-4000-8000-0000000000d1',
  reference,
  recipient: 'Ada Moreau',
  address: '12 Mill Lane',
  status: 'assigned',
  driver_id: '00000000-0000-4000-8000-0000000000aa',
  eta: null,
  last_lat: null,
  last_lng: null,
  last_position_at: null,
  failure_reason: null,
  failure_note: null,
  version: 3,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  ...patch,
});

const write = (row: Shipment, label: string): QueuedWrite => ({
  id: `${row.id}-${label}`,
  rowId: row.id,
  scope: row.depot_id,
  baseVersion: row.version,
  base: { ...row },
  patch: {},
  label,
  createdAt: 0,
  sendAfter: 0,
  rebases: 0,
});

describe('what became of a queued action', () => {
  const row = shipment('s1', 'NOR-1023');
  it('applied: nothing to say here (waited ones are summed up by sentNotice)', () => {
    expect(describeOutcome({ kind: 'applied', write: write(row, 'Mark picked up'), row })).toBeNull();
    expect(sentNotice(1, 1).text).toBe('The action you took offline was sent and saved.');
    expect(sentNotice(3, 1).text).toBe('The 3 actions you took offline were sent and saved, in order.');
  });

  it('conflict, gone, refused and skipped each say what happened, and what stands', () => {
    const w = write(row, 'Mark picked up');
    expect(describeOutcome({ kind: 'conflict', write: w, latest: { ...row, status: 'cancelled' } })).toMatchObject({
      tone: 'warning',
      shipmentId: 's1',
      text: 'NOR-1023: “Mark picked up” was not applied. A dispatcher changed it first (now Cancelled); their change stands.',
    });
    expect(describeOutcome({ kind: 'gone', write: w })?.text).toBe(
      'NOR-1023: “Mark picked up” was not applied: it was reassigned and is no longer yours.',
    );
    expect(describeOutcome({ kind: 'refused', write: w, message: 'Not allowed: no.' })).toMatchObject({
      tone: 'error',
      text: 'NOR-1023: “Mark picked up” was refused. Not allowed: no.',
    });
    expect(describeOutcome({ kind: 'skipped', write: write(row, 'Start driving'), cause: w })?.text).toBe(
      'NOR-1023: “Start driving” was not sent, because “Mark picked up” before it was not applied.',
    );
  });
});

describe('shipments that come and go', () => {
  it('announces a departure by reference and a new active assignment with where to go', () => {
    const kept = shipment('a', 'NOR-1001');
    const before = knownShipments([kept, shipment('b', 'NOR-1023')]);
    const notices = assignmentNotices(before, [
      kept,
      shipment('c', 'NOR-1040'),
      shipment('d', 'NOR-1041', { status: 'delivered' }),
    ]);
    expect(notices.map((n) => n.text)).toEqual([
      'NOR-1023 was reassigned to another driver.',
      'New assignment: NOR-1040, Ada Moreau, 12 Mill Lane.',
    ]);
    expect(assignmentNotices(knownShipments([kept]), [kept])).toEqual([]);
  });
});

describe('failure report', () => {
  it('needs a reason; "other" needs a note; a blank note is none; notes are trimmed and at most 500 characters', () => {
    expect(failureReportSchema.safeParse({ reason: 'refused', note: '  ' }).data).toEqual({
      reason: 'refused',
      note: null,
    });
    expect(failureReportSchema.safeParse({ reason: 'damaged', note: ' Box torn ' }).data).toEqual({
      reason: 'damaged',
      note: 'Box torn',
    });
    const other = failureReportSchema.safeParse({ reason: 'other', note: ' ' });
    expect(other.error?.issues[0]?.message).toBe('Say what happened in the note.');
    expect(failureReportSchema.safeParse({ reason: 'lost', note: '' }).success).toBe(false);
    expect(failureReportSchema.safeParse({ reason: 'other', note: 'x'.repeat(501) }).success).toBe(false);
  });

  it('reads back for dispatchers as one line', () => {
    expect(describeFailure({ failure_reason: 'refused', failure_note: null })).toBe('Refused by the recipient');
    expect(describeFailure({ failure_reason: 'other', failure_note: 'Dog in the garden' })).toBe(
      'Other: Dog in the garden',
    );
    expect(describeFailure({ failure_reason: null, failure_note: null })).toBeNull();
  });
});

describe('location problems', () => {
  it('each geolocation error says what went wrong and what to do, never the browser’s text', () => {
    const denied = explainLocationError(LOCATION_ERROR.PERMISSION_DENIED);
    expect(denied).toMatchObject({ kind: 'denied', title: 'Location access is blocked for this site.' });
    expect(denied.advice).toMatch(/Allow location for this site/);
    expect(explainLocationError(LOCATION_ERROR.POSITION_UNAVAILABLE)).toMatchObject({ kind: 'unavailable' });
    expect(explainLocationError(LOCATION_ERROR.POSITION_UNAVAILABLE).advice).toMatch(/location \(GPS\) is turned on/);
    expect(explainLocationError(LOCATION_ERROR.TIMEOUT)).toMatchObject({
      kind: 'timeout',
      title: 'Finding your position is taking too long.',
    });
  });
});
