'use client';

import type { Fix, LocationProblem, PositionSource } from '@/lib/shipments/position-sharing';

interface Props {
  source: PositionSource;
  onSource: (source: PositionSource) => void;
  last: Fix | null;
  problem: LocationProblem | null;
  /** Why the last position could not be saved to the shipment, if it could not. */
  saveProblem: string | null;
}

const SOURCES: { value: PositionSource; label: string }[] = [
  { value: 'off', label: 'Off' },
  { value: 'device', label: 'GPS' },
  { value: 'simulated', label: 'Simulated route' },
];

/** Share my position: off, the phone's GPS, or a simulated route; problems explained with what to do. */
export function PositionPanel({ source, onSource, last, problem, saveProblem }: Props) {
  return (
    <section
      aria-labelledby="position-heading"
      className="rounded-xl border border-slate-200 bg-white px-4 py-3 dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="position-heading" className="text-sm font-semibold">
          Share my position
        </h2>
        <div className="flex gap-1.5" role="radiogroup" aria-labelledby="position-heading">
          {SOURCES.map((s) => (
            <button
              key={s.value}
              type="button"
              role="radio"
              aria-checked={source === s.value}
              data-testid={`position-${s.value}`}
              onClick={() => onSource(s.value)}
              className={`min-h-11 rounded-md px-3 py-1.5 text-sm ${source === s.value ? 'bg-indigo-700 text-white' : 'bg-slate-100 dark:bg-slate-800'}`}
            >
              {s.label}
            </button>
          ))}
        </div>
      </div>
      {problem && (
        <div
          role="alert"
          data-testid="location-problem"
          data-kind={problem.kind}
          className="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-950 dark:bg-amber-950/60 dark:text-amber-100"
        >
          <p className="font-semibold">{problem.title}</p>
          <p className="mt-1">{problem.advice}</p>
        </div>
      )}
      {last && source !== 'off' && !problem && (
        <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">
          Sharing {last.lat.toFixed(4)}, {last.lng.toFixed(4)} (live every second, saved every 15 s)
        </p>
      )}
      {saveProblem && source !== 'off' && (
        <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
          Last position not saved ({saveProblem}); the next one is tried in 15 s.
        </p>
      )}
    </section>
  );
}
