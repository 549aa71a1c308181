import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { LoginForm, type DemoAccount } from '@/components/login-form';
import { safeRedirectPath } from '@/lib/security/redirects';
import { getCurrentUser, homeFor } from '@/lib/session';
import { isLocalStack } from '@/lib/supabase/env';

export const metadata: Metadata = { title: 'Sign in · Switchboard' };

// The seed's accounts (supabase/seed.sql). Listed only against a local stack.
const DEMO_ACCOUNTS: DemoAccount[] = [
  { email: 'dispatcher.north@example.com', label: 'Dispatcher, North' },
  { email: 'dispatcher.south@example.com', label: 'Dispatcher, South' },
  { email: 'dispatcher.hq@example.com', label: 'Dispatcher, HQ (both depots)' },
  { email: 'driver.north1@example.com', label: 'Driver, North 1' },
  { email: 'driver.north2@example.com', label: 'Driver, North 2' },
  { email: 'driver.south1@example.com', label: 'Driver, South 1' },
];

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const user = await getCurrentUser();
  if (user) redirect(homeFor(user));
  // Dropped here already when it is not a path on this site (the action checks again).
  const next = safeRedirectPath((await searchParams).next) ?? undefined;
  return (
    <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center px-6 py-12">
      <h1 className="text-2xl font-semibold tracking-tight">Sign in to Switchboard</h1>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">Live shipment dispatch.</p>
      <div className="mt-8">
        <LoginForm next={next} demoAccounts={isLocalStack() ? DEMO_ACCOUNTS : []} />
      </div>
    </main>
  );
}
