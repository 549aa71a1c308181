import type { WriteOutcome } from '@/lib/live/queued-writes';
import type { Shipment } from './schema';
import { DRIVER_ACTIVE_STATUSES, STATUS_LABEL } from './status';

// What the driver is told, in plain words: what became of the actions their
// phone queued, and shipments that came or went (pure, so unit tests call them).

export type NoticeTone = 'info' | 'success' | 'warning' | 'error';

export interface DriverNotice {
  /** Stable per event, so a repeated event does not stack up. */
  id: string;
  tone: NoticeTone;
  text: string;
  /** The shipment it is about, if one. */
  shipmentId: string | null;
}

const referenceOf = (outcome: WriteOutcome<Shipment>) => String(outcome.write.base.reference ?? 'A shipment');

/** A queued action that was not applied, and why; null for one that was (see `sentAfterWaiting`). */
export function describeOutcome(outcome: WriteOutcome<Shipment>): DriverNotice | null {
  const reference = referenceOf(outcome);
  const action = `“${outcome.write.label}”`;
  const base = { id: `outcome-${outcome.write.id}`, shipmentId: outcome.write.rowId };
  switch (outcome.kind) {
    case 'applied':
      return null;
    case 'conflict':
      return {
        ...base,
        tone: 'warning',
        text: `${reference}: ${action} was not applied. A dispatcher changed it first (now ${STATUS_LABEL[outcome.latest.status]}); their change stands.`,
      };
    case 'gone':
      return {
        ...base,
        tone: 'warning',
        text: `${reference}: ${action} was not applied: it was reassigned and is no longer yours.`,
      };
    case 'refused':
      return { ...base, tone: 'error', text: `${reference}: ${action} was refused. ${outcome.message}` };
    case 'skipped':
      return {
        ...base,
        tone: 'warning',
        text: `${reference}: ${action} was not sent, because “${outcome.cause.label}” before it was not applied.`,
      };
  }
}

/** "3 actions you took offline were sent." */
export function sentNotice(count: number, at: number): DriverNotice {
  return {
    id: `sent-${at}`,
    tone: 'success',
    text:
      count === 1
        ? 'The action you took offline was sent and saved.'
        : `The ${count} actions you took offline were sent and saved, in order.`,
    shipmentId: null,
  };
}

/** The shipments a driver had, by id, with what to call them once they are gone. */
export type KnownShipments = ReadonlyMap<string, { reference: string }>;

/**
 * Shipments that came (new assignments) or went (reassigned away) between two
 * readings of a driver's list. Departures are told by reference only: the
 * driver can no longer see the row, nor who has it now (a shipment put back
 * to pending reads the same: another driver will take it).
 */
export function assignmentNotices(before: KnownShipments, rows: readonly Shipment[]): DriverNotice[] {
  const notices: DriverNotice[] = [];
  const now = new Set(rows.map((r) => r.id));
  for (const [id, { reference }] of before) {
    if (!now.has(id))
      notices.push({
        id: `gone-${id}-${reference}`,
        tone: 'warning',
        text: `${reference} was reassigned to another driver.`,
        shipmentId: id,
      });
  }
  for (const row of rows) {
    if (before.has(row.id) || !DRIVER_ACTIVE_STATUSES.includes(row.status)) continue;
    notices.push({
      id: `new-${row.id}-${row.version}`,
      tone: 'info',
      text: `New assignment: ${row.reference}, ${row.recipient}, ${row.address}.`,
      shipmentId: row.id,
    });
  }
  return notices;
}

/** The reading to compare the next one with. */
export const knownShipments = (rows: readonly Shipment[]): KnownShipments =>
  new Map(rows.map((r) => [r.id, { reference: r.reference }]));
