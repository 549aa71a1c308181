'use client';

import { useCallback, useEffect, useLayoutEffect, useRef } from 'react';
import type { WriteOutcome } from '@/lib/live/queued-writes';
import type { OutcomeInfo } from '@/lib/live/write-queue';
import { useWriteQueue } from '@/lib/live/use-write-queue';
import { describeOutcome, sentNotice, type DriverNotice } from './driver-notices';
import type { FailureReport } from './failure';
import { shipmentsTable } from './live';
import type { Shipment } from './schema';
import { DRIVER_ACTION_LABEL, nextDriverStatus, UNDO_WINDOW_MS } from './status';

/**
 * A queued driver action made stale by someone else's change is re-applied
 * only if that change left these alone (and the columns the action sets):
 * a dispatcher's new ETA does not undo a pickup scanned offline, a status
 * change or a reassignment does.
 */
export const DRIVER_GUARD_COLUMNS = ['status', 'driver_id'] as const;

/**
 * The driver's actions on their shipments, through the device's write queue
 * (lib/live/use-write-queue): every tap is stored on the phone, then sent in
 * order, at once when online. `advance` takes the one forward step;
 * `reportFailure` moves to failed with the reason. Delivered and failed are
 * held for UNDO_WINDOW_MS first (`cancel` undoes them). Each resolves
 * `{ added: false }` when the same intent was already queued (a double tap).
 * `onNotice` hears, in plain words, what happened to queued actions.
 */
export function useDriverActions(driverId: string, onNotice: (notice: DriverNotice) => void) {
  const notify = useRef(onNotice);
  useLayoutEffect(() => {
    notify.current = onNotice;
  });

  // Actions that waited (offline, or a closed tab) are announced together once sent.
  const waited = useRef<{ count: number; timer: ReturnType<typeof setTimeout> | null }>({ count: 0, timer: null });
  useEffect(() => {
    const pending = waited.current;
    return () => {
      if (pending.timer) clearTimeout(pending.timer);
    };
  }, []);
  const onOutcome = useCallback((outcome: WriteOutcome<Shipment>, { waited: wasWaiting }: OutcomeInfo) => {
    const notice = describeOutcome(outcome);
    if (notice) notify.current(notice);
    if (outcome.kind !== 'applied' || !wasWaiting) return;
    const batch = waited.current;
    batch.count += 1;
    if (batch.timer) clearTimeout(batch.timer);
    batch.timer = setTimeout(() => {
      notify.current(sentNotice(batch.count, Date.now()));
      batch.count = 0;
      batch.timer = null;
    }, 500);
  }, []);

  const queue = useWriteQueue(shipmentsTable, driverId, { guardColumns: DRIVER_GUARD_COLUMNS, onOutcome });
  const { enqueue } = queue;

  const advance = useCallback(
    (row: Shipment) => {
      const next = nextDriverStatus(row.status);
      if (!next) return Promise.resolve({ added: false });
      return enqueue({
        row,
        patch: { status: next },
        label: DRIVER_ACTION_LABEL[next] ?? next,
        holdMs: next === 'delivered' ? UNDO_WINDOW_MS : 0,
      });
    },
    [enqueue],
  );

  const reportFailure = useCallback(
    (row: Shipment, report: FailureReport) =>
      enqueue({
        row,
        patch: { status: 'failed', failure_reason: report.reason, failure_note: report.note },
        label: DRIVER_ACTION_LABEL.failed ?? 'Report a failed delivery',
        holdMs: UNDO_WINDOW_MS,
      }),
    [enqueue],
  );

  return { ...queue, advance, reportFailure };
}
