'use client';

import { useEffect, useRef, useState, type ReactNode } from 'react';
import { UnreadBadge } from '@/components/notes/unread-badge';
import type { QueuedWrite } from '@/lib/live/queued-writes';
import type { WriteQueueState } from '@/lib/live/write-queue';
import type { FailureReport } from '@/lib/shipments/failure';
import type { Shipment } from '@/lib/shipments/schema';
import {
  canReportFailure,
  DRIVER_ACTION_LABEL,
  nextDriverStatus,
  STATUS_LABEL,
  TAP_SETTLE_MS,
} from '@/lib/shipments/status';
import { FailureForm } from './failure-form';

type Queued = Promise<{ added: boolean }>;

interface Props {
  /** The shipment as the driver expects it: its queued actions applied. */
  shipment: Shipment;
  /** This shipment's actions still on the phone, in order. */
  pending: readonly QueuedWrite[];
  queueState: WriteQueueState;
  sendingId: string | null;
  unread: number;
  notesOpen: boolean;
  onToggleNotes: () => void;
  onAdvance: (shipment: Shipment) => Queued;
  onReportFailure: (shipment: Shipment, report: FailureReport) => Queued;
  onUndo: (writeId: string) => Promise<boolean>;
  /** The notes thread, when open. */
  children?: ReactNode;
}

/** The device clock, ticking every `ms` while `active` (countdowns). */
function useClock(ms: number, active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const tick = () => setNow(Date.now());
    const first = setTimeout(tick, 0);
    const timer = setInterval(tick, ms);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [ms, active]);
  return now;
}

const STATUS_STYLE: Partial<Record<Shipment['status'], string>> = {
  assigned: 'bg-slate-100 text-slate-800 dark:bg-slate-800 dark:text-slate-100',
  picked_up: 'bg-sky-100 text-sky-900 dark:bg-sky-900/50 dark:text-sky-100',
  in_transit: 'bg-indigo-100 text-indigo-900 dark:bg-indigo-900/50 dark:text-indigo-100',
  delivered: 'bg-emerald-100 text-emerald-900 dark:bg-emerald-900/50 dark:text-emerald-100',
  failed: 'bg-red-100 text-red-900 dark:bg-red-900/50 dark:text-red-100',
};

/**
 * One active shipment on the driver's phone: the current state (apart from
 * the buttons), one action button named by its verb, "Couldn't deliver", and
 * what is still waiting on the phone. After any tap the buttons stay locked
 * until the action is saved (online) or stored (offline), and at least
 * TAP_SETTLE_MS, so a double tap never makes a second move.
 */
export function DriverCard({
  shipment,
  pending,
  queueState,
  sendingId,
  unread,
  notesOpen,
  onToggleNotes,
  onAdvance,
  onReportFailure,
  onUndo,
  children,
}: Props) {
  const { reference } = shipment;
  const [settling, setSettling] = useState(false);
  const settleTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => clearTimeout(settleTimer.current ?? undefined), []);
  const [reporting, setReporting] = useState(false);
  // Back from the failure form returns focus to the button that opened it.
  const failButton = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  useEffect(() => {
    if (reporting || !refocus.current) return;
    refocus.current = false;
    failButton.current?.focus();
  }, [reporting]);
  // A synchronous guard as well: two taps can land before React re-renders.
  const busy = useRef(false);
  const waitingForNetwork = queueState === 'offline' || queueState === 'signed-out';
  const newest = pending.at(-1) ?? null;
  // Delivered and failed wait out an undo window on the phone before they are sent.
  const windowed = newest !== null && newest.sendAfter > newest.createdAt && newest.id !== sendingId;
  const now = useClock(250, windowed);
  const held = windowed && now < newest.sendAfter ? newest : null;
  const inFlight = pending.length > 0 && !waitingForNetwork;
  const locked = settling || inFlight;

  const act = (run: () => Queued) => {
    if (busy.current || locked) return;
    busy.current = true;
    setSettling(true);
    settleTimer.current = setTimeout(() => setSettling(false), TAP_SETTLE_MS);
    void run().finally(() => {
      busy.current = false;
    });
  };

  const next = nextDriverStatus(shipment.status);
  const status = STATUS_LABEL[shipment.status];
  const windowSeconds = held ? Math.ceil((held.sendAfter - held.createdAt) / 1000) : 0;
  const holdLeft = held ? Math.min(windowSeconds, Math.max(1, Math.ceil((held.sendAfter - now) / 1000))) : 0;

  return (
    <li
      data-testid={`driver-shipment-${reference}`}
      data-status={shipment.status}
      data-version={shipment.version}
      data-pending={pending.length}
      className="scroll-mt-28 rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <article aria-labelledby={`ref-${shipment.id}`}>
        <div className="flex items-start justify-between gap-2">
          <h3 id={`ref-${shipment.id}`} className="font-mono text-base font-semibold">
            {reference}
          </h3>
          <span className="flex items-center gap-2">
            <UnreadBadge count={unread} testId={`driver-unread-${reference}`} />
            <span
              data-testid={`status-${reference}`}
              className={`rounded-full px-2.5 py-0.5 text-sm font-medium ${STATUS_STYLE[shipment.status] ?? ''}`}
            >
              <span className="sr-only">Status: </span>
              {status}
            </span>
          </span>
        </div>
        <p className="mt-1">{shipment.recipient}</p>
        <p className="text-sm text-slate-600 dark:text-slate-400">{shipment.address}</p>
        {shipment.eta && (
          <p className="text-sm text-slate-600 dark:text-slate-400">
            ETA {new Date(shipment.eta).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
          </p>
        )}

        {pending.length > 0 && (
          <div
            data-testid={`pending-${reference}`}
            data-count={pending.length}
            className="mt-3 flex items-center justify-between gap-3 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-950 dark:bg-amber-950/60 dark:text-amber-100"
          >
            <p>
              <span className="font-medium">
                {held ? `${held.label}: sending in ${holdLeft} s` : waitingForNetwork ? 'Not sent yet' : 'Sending…'}
              </span>
              {!held && <> ({pending.map((w) => w.label).join(', ')})</>}
              {!held && waitingForNetwork && (
                <span className="block text-xs">Saved on this phone; sent when you are back online.</span>
              )}
            </p>
            {newest && newest.id !== sendingId && (held || waitingForNetwork) && (
              <button
                type="button"
                data-testid={`undo-${reference}`}
                disabled={settling}
                onClick={() => void onUndo(newest.id)}
                className="shrink-0 rounded-md border border-amber-700 px-3 py-2 font-semibold text-amber-900 disabled:opacity-50 dark:border-amber-300 dark:text-amber-100"
              >
                Undo
                <span className="sr-only">
                  {' '}
                  {newest.label} for {reference}
                </span>
              </button>
            )}
          </div>
        )}

        {next && !held && !reporting && (
          <button
            type="button"
            data-testid={`advance-${reference}`}
            disabled={locked}
            aria-busy={inFlight}
            onClick={() => act(() => onAdvance(shipment))}
            className="mt-3 min-h-14 w-full rounded-lg bg-indigo-700 px-4 py-3 text-lg font-semibold text-white shadow hover:bg-indigo-600 disabled:cursor-not-allowed disabled:bg-slate-400 disabled:shadow-none dark:disabled:bg-slate-700"
          >
            {inFlight ? 'Saving…' : DRIVER_ACTION_LABEL[next]}
            <span className="sr-only"> {reference}</span>
          </button>
        )}
        {canReportFailure(shipment.status) && !held && !reporting && (
          <button
            type="button"
            ref={failButton}
            data-testid={`fail-${reference}`}
            disabled={locked}
            onClick={() => setReporting(true)}
            className="mt-2 min-h-11 w-full rounded-lg border border-red-300 px-4 py-2 text-base font-medium text-red-800 disabled:cursor-not-allowed disabled:opacity-50 dark:border-red-800 dark:text-red-300"
          >
            {DRIVER_ACTION_LABEL.failed}
            <span className="sr-only"> {reference}</span>
          </button>
        )}
        {reporting && (
          <FailureForm
            reference={reference}
            onCancel={() => {
              refocus.current = true;
              setReporting(false);
            }}
            onSubmit={(report) => {
              setReporting(false);
              act(() => onReportFailure(shipment, report));
            }}
          />
        )}

        <button
          type="button"
          aria-expanded={notesOpen}
          data-testid={`notes-toggle-${reference}`}
          onClick={onToggleNotes}
          className="mt-3 min-h-11 text-sm text-indigo-700 underline dark:text-indigo-300"
        >
          {notesOpen ? 'Hide notes' : 'Notes'}
          <span className="sr-only"> for {reference}</span>
        </button>
        {notesOpen && <div className="mt-2">{children}</div>}
      </article>
    </li>
  );
}
