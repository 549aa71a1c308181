import { Fragment } from 'react';
import type { StackHealth } from '@/lib/stack-health';

const SERVICE_LABEL = { auth: 'Auth', rest: 'REST', realtime: 'Realtime' } as const;

/** The dev stack's state: database reachable, migrations applied, demo accounts present, services answering. */
export function StackHealthCard({ health }: { health: StackHealth }) {
  return (
    <section
      aria-labelledby="stack-heading"
      className="mt-10 rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <h2 id="stack-heading" className="text-lg font-medium">
        Dev stack
      </h2>
      {health.ok ? (
        <dl className="mt-4 grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2 text-sm">
          <dt className="text-slate-500">Database</dt>
          <dd>
            <span className="font-medium text-emerald-700 dark:text-emerald-400">reachable</span>{' '}
            <span className="text-slate-500">PostgreSQL {health.report.database.serverVersion}</span>
          </dd>
          <dt className="text-slate-500">Migrations</dt>
          <dd>
            {health.report.database.migrationsApplied} applied
            {health.report.database.latestMigration && (
              <span className="text-slate-500"> (latest {health.report.database.latestMigration})</span>
            )}
          </dd>
          {(['auth', 'rest', 'realtime'] as const).map((name) => {
            const check = health.report.services[name];
            return (
              <Fragment key={name}>
                <dt className="text-slate-500">{SERVICE_LABEL[name]}</dt>
                <dd data-testid={`service-${name}`} data-ok={check.ok}>
                  <span
                    className={
                      check.ok
                        ? 'font-medium text-emerald-700 dark:text-emerald-400'
                        : 'font-medium text-red-700 dark:text-red-400'
                    }
                  >
                    {check.ok ? 'up' : 'down'}
                  </span>{' '}
                  <span className="text-slate-500">{check.detail}</span>
                </dd>
              </Fragment>
            );
          })}
          <dt className="text-slate-500">Demo accounts</dt>
          <dd>
            {health.report.database.demoAccounts.length === 0 ? (
              <span className="text-amber-700 dark:text-amber-400">none: run npm run stack:reset to seed</span>
            ) : (
              <ul className="space-y-0.5">
                {health.report.database.demoAccounts.map((email) => (
                  <li key={email} className="font-mono text-xs">
                    {email}
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </dl>
      ) : (
        <div role="alert" className="mt-4 text-sm">
          <p className="font-medium text-red-700 dark:text-red-400">The dev stack is not reachable.</p>
          <p className="mt-1 text-slate-600 dark:text-slate-400">
            Start the dev stack with <code className="font-mono">npm run dev</code> (or{' '}
            <code className="font-mono">npm run stack</code> in another terminal).
          </p>
          <p className="mt-2 font-mono text-xs text-slate-500">
            {health.apiUrl}: {health.error}
          </p>
        </div>
      )}
    </section>
  );
}
