'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { createShipment } from '@/app/board/[depotId]/actions';
import { removeRow, type LiveList } from '@/lib/live/merge';
import { insertRowIntoCaches, writeRowEverywhere } from '@/lib/live/use-live-mutation';
import {
  fieldErrors,
  newShipmentSchema,
  optimisticShipment,
  suggestReference,
  type FieldErrors,
} from '@/lib/shipments/create';
import { shipmentsTable } from '@/lib/shipments/live';
import type { Person } from '@/lib/shipments/queries';
import type { Shipment } from '@/lib/shipments/schema';

interface Props {
  open: boolean;
  depotId: string;
  depotName: string;
  rows: Shipment[];
  people: Person[];
  offline: boolean;
  onClose: () => void;
  /** The shipment was saved (its card is on the board). */
  onCreated: (row: Shipment) => void;
}

const input =
  'mt-1 w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm aria-[invalid=true]:border-red-600 dark:border-slate-700 dark:bg-slate-950';

/**
 * The new-shipment form, in a modal <dialog> (focus stays inside; Escape
 * closes it). Checked in the browser with the same zod schema the server
 * action checks again; on submit the card appears at once (optimistic, with
 * the id chosen here), and the saved row replaces it, or it goes away and the
 * form says why.
 */
export function NewShipmentDialog({ open, depotId, depotName, rows, people, offline, onClose, onCreated }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [suggested, setSuggested] = useState('');

  useEffect(() => {
    const el = dialog.current;
    if (!el) return;
    if (open && !el.open) {
      setErrors({});
      setFailure(null);
      setSuggested(suggestReference(rows, depotName.slice(0, 3).toUpperCase()));
      el.showModal();
    } else if (!open && el.open) el.close();
    // Suggest a reference from the rows at the moment the form opens, not on every delta.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const eta = String(form.get('eta') ?? '');
    const parsed = newShipmentSchema.safeParse({
      id: crypto.randomUUID(),
      depot_id: depotId,
      reference: String(form.get('reference') ?? ''),
      recipient: String(form.get('recipient') ?? ''),
      address: String(form.get('address') ?? ''),
      eta: eta ? new Date(eta).toISOString() : null,
      driver_id: String(form.get('driver') ?? '') || null,
    });
    if (!parsed.success) {
      setErrors(fieldErrors(parsed.error));
      setFailure('Check the highlighted fields.');
      return;
    }
    setErrors({});
    setFailure(null);
    setSaving(true);
    const optimistic = optimisticShipment(parsed.data, new Date().toISOString());
    insertRowIntoCaches(queryClient, shipmentsTable, optimistic);
    const result = await createShipment(parsed.data).catch((error: unknown) => ({
      ok: false as const,
      error: `Could not reach the server: ${error instanceof Error ? error.message : String(error)}`,
      fields: undefined,
    }));
    setSaving(false);
    if (result.ok) {
      writeRowEverywhere(queryClient, shipmentsTable, result.row, false);
      onCreated(result.row);
      onClose();
      return;
    }
    queryClient.setQueryData<LiveList<Shipment>>(shipmentsTable.keys.list(depotId), (list) =>
      removeRow(list, optimistic.id, optimistic.version, shipmentsTable.keyOf),
    );
    setErrors(result.fields ?? {});
    setFailure(result.error);
  };

  const describedBy = (field: keyof FieldErrors) => (errors[field] ? `new-${field}-error` : undefined);
  const fieldError = (field: keyof FieldErrors) =>
    errors[field] && (
      <span id={`new-${field}-error`} className="mt-1 block text-xs text-red-700 dark:text-red-300">
        {errors[field]}
      </span>
    );

  return (
    <dialog
      ref={dialog}
      aria-labelledby="new-shipment-title"
      data-testid="new-shipment-dialog"
      onClose={onClose}
      className="m-auto w-[min(32rem,calc(100vw-2rem))] rounded-xl border border-slate-200 bg-white p-0 text-slate-900 shadow-2xl backdrop:bg-slate-950/40 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
    >
      <form onSubmit={(e) => void submit(e)} noValidate className="space-y-3 p-5">
        <h2 id="new-shipment-title" className="text-lg font-semibold">
          New shipment · {depotName}
        </h2>
        <label className="block text-sm">
          <span className="font-medium">Reference</span>
          <input
            name="reference"
            key={suggested}
            defaultValue={suggested}
            required
            aria-invalid={Boolean(errors.reference)}
            aria-describedby={describedBy('reference')}
            data-testid="new-reference"
            className={`${input} font-mono uppercase`}
          />
          {fieldError('reference')}
        </label>
        <label className="block text-sm">
          <span className="font-medium">Recipient</span>
          <input
            name="recipient"
            required
            autoComplete="off"
            aria-invalid={Boolean(errors.recipient)}
            aria-describedby={describedBy('recipient')}
            data-testid="new-recipient"
            className={input}
          />
          {fieldError('recipient')}
        </label>
        <label className="block text-sm">
          <span className="font-medium">Address</span>
          <input
            name="address"
            required
            autoComplete="off"
            aria-invalid={Boolean(errors.address)}
            aria-describedby={describedBy('address')}
            data-testid="new-address"
            className={input}
          />
          {fieldError('address')}
        </label>
        <div className="grid gap-3 sm:grid-cols-2">
          <label className="block text-sm">
            <span className="font-medium">ETA</span>{' '}
            <span className="text-slate-600 dark:text-slate-400">(optional)</span>
            <input
              name="eta"
              type="datetime-local"
              aria-invalid={Boolean(errors.eta)}
              aria-describedby={describedBy('eta')}
              data-testid="new-eta"
              className={input}
            />
            {fieldError('eta')}
          </label>
          <label className="block text-sm">
            <span className="font-medium">Driver</span>{' '}
            <span className="text-slate-600 dark:text-slate-400">(optional)</span>
            <select name="driver" data-testid="new-driver" className={input} defaultValue="">
              <option value="">Unassigned</option>
              {people
                .filter((p) => p.role === 'driver')
                .map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.full_name}
                  </option>
                ))}
            </select>
          </label>
        </div>
        {failure && (
          <p
            role="alert"
            data-testid="new-error"
            className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200"
          >
            {failure}
          </p>
        )}
        {offline && (
          <p id="new-offline" className="text-sm text-slate-700 dark:text-slate-300">
            You are offline: creating a shipment needs the connection.
          </p>
        )}
        <div className="flex justify-end gap-2 pt-1">
          <button
            type="button"
            onClick={onClose}
            className="rounded-md px-3 py-1.5 text-sm hover:bg-slate-100 dark:hover:bg-slate-800"
          >
            Cancel
          </button>
          <button
            type="submit"
            data-testid="new-submit"
            disabled={saving || offline}
            aria-describedby={offline ? 'new-offline' : undefined}
            className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500 disabled:cursor-not-allowed disabled:bg-slate-300 disabled:text-slate-600 dark:disabled:bg-slate-700 dark:disabled:text-slate-400"
          >
            {saving ? 'Creating…' : 'Create shipment'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
