'use client';

import { useActionState, useRef } from 'react';
import { signIn, type SignInState } from '@/app/login/actions';

export interface DemoAccount {
  email: string;
  label: string;
}

export function LoginForm({ next, demoAccounts }: { next?: string; demoAccounts: DemoAccount[] }) {
  const [state, action, pending] = useActionState<SignInState, FormData>(signIn, { error: null, email: '' });
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);

  const fill = (email: string) => {
    if (emailRef.current) emailRef.current.value = email;
    if (passwordRef.current) passwordRef.current.value = 'password123';
    passwordRef.current?.focus();
  };

  return (
    <div className="space-y-8">
      <form action={action} className="space-y-4" aria-describedby={state.error ? 'login-error' : undefined}>
        {next && <input type="hidden" name="next" value={next} />}
        <div>
          <label htmlFor="email" className="block text-sm font-medium">
            Email
          </label>
          <input
            ref={emailRef}
            id="email"
            name="email"
            type="email"
            autoComplete="username"
            required
            defaultValue={state.email}
            className="mt-1 w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/40 dark:border-slate-700 dark:bg-slate-900"
          />
        </div>
        <div>
          <label htmlFor="password" className="block text-sm font-medium">
            Password
          </label>
          <input
            ref={passwordRef}
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            className="mt-1 w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/40 dark:border-slate-700 dark:bg-slate-900"
          />
        </div>
        {state.error && (
          <p
            id="login-error"
            role="alert"
            className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200"
          >
            {state.error}
          </p>
        )}
        <button
          type="submit"
          disabled={pending}
          className="w-full rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-60"
        >
          {pending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>

      {demoAccounts.length > 0 && (
        <section
          aria-labelledby="demo-heading"
          className="rounded-lg border border-dashed border-slate-300 p-4 dark:border-slate-700"
        >
          <h2 id="demo-heading" className="text-sm font-medium">
            Demo accounts{' '}
            <span className="font-normal text-slate-600 dark:text-slate-400">(local stack, password password123)</span>
          </h2>
          <ul className="mt-3 grid gap-2 sm:grid-cols-2">
            {demoAccounts.map((account) => (
              <li key={account.email}>
                <button
                  type="button"
                  onClick={() => fill(account.email)}
                  className="w-full rounded-md border border-slate-200 px-3 py-2 text-left text-xs hover:border-indigo-400 hover:bg-indigo-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:border-slate-700 dark:hover:bg-slate-800"
                >
                  <span className="block font-medium">{account.label}</span>
                  <span className="block font-mono break-all text-slate-600 dark:text-slate-400">{account.email}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
