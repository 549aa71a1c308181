'use client';

import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import {
  FAILURE_NOTE_MAX_LENGTH,
  FAILURE_REASON_LABEL,
  FAILURE_REASONS,
  failureReportSchema,
  type FailureReason,
  type FailureReport,
} from '@/lib/shipments/failure';

interface Props {
  reference: string;
  onSubmit: (report: FailureReport) => void;
  onCancel: () => void;
}

/** "Couldn't deliver": pick why (and add a note; required for Other), then report it. */
export function FailureForm({ reference, onSubmit, onCancel }: Props) {
  const id = useId();
  const [reason, setReason] = useState<FailureReason | null>(null);
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  // Opening the form moves focus into it, so a screen reader reads the question and the first reason.
  const firstReason = useRef<HTMLInputElement>(null);
  useEffect(() => firstReason.current?.focus(), []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!reason) {
      setProblem('Choose why you could not deliver it.');
      return;
    }
    const parsed = failureReportSchema.safeParse({ reason, note });
    if (!parsed.success) {
      setProblem(parsed.error.issues[0]?.message ?? 'Check the note.');
      return;
    }
    onSubmit(parsed.data);
  };

  return (
    <form
      onSubmit={submit}
      data-testid={`failure-form-${reference}`}
      className="mt-3 rounded-lg border border-red-200 bg-red-50/60 p-3 dark:border-red-900 dark:bg-red-950/40"
    >
      <fieldset>
        <legend className="text-sm font-semibold">Why couldn&apos;t you deliver {reference}?</legend>
        <div className="mt-2 grid gap-1">
          {FAILURE_REASONS.map((r) => (
            <label
              key={r}
              className="flex min-h-11 items-center gap-3 rounded-md px-2 text-base has-[:checked]:bg-white dark:has-[:checked]:bg-slate-900"
            >
              <input
                ref={r === FAILURE_REASONS[0] ? firstReason : undefined}
                type="radio"
                name={`${id}-reason`}
                value={r}
                checked={reason === r}
                onChange={() => {
                  setReason(r);
                  setProblem(null);
                }}
                className="h-5 w-5 accent-red-700"
              />
              {FAILURE_REASON_LABEL[r]}
            </label>
          ))}
        </div>
      </fieldset>
      <label className="mt-2 block text-sm" htmlFor={`${id}-note`}>
        Note {reason === 'other' ? '(required)' : '(optional)'}
      </label>
      <textarea
        id={`${id}-note`}
        value={note}
        onChange={(e) => {
          setNote(e.target.value);
          setProblem(null);
        }}
        maxLength={FAILURE_NOTE_MAX_LENGTH}
        rows={2}
        aria-describedby={problem ? `${id}-problem` : undefined}
        className="mt-1 w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-base dark:border-slate-700 dark:bg-slate-950"
      />
      {problem && (
        <p id={`${id}-problem`} role="alert" className="mt-1 text-sm text-red-800 dark:text-red-300">
          {problem}
        </p>
      )}
      <div className="mt-3 flex gap-2">
        <button
          type="submit"
          className="flex-1 rounded-lg bg-red-700 px-4 py-3 text-base font-semibold text-white hover:bg-red-600"
        >
          Report failed delivery<span className="sr-only"> of {reference}</span>
        </button>
        <button
          type="button"
          onClick={onCancel}
          className="rounded-lg border border-slate-300 px-4 py-3 text-base dark:border-slate-700"
        >
          Back
        </button>
      </div>
    </form>
  );
}
