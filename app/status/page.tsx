import type { Metadata } from 'next';
import { StackHealthCard } from '@/components/stack-health-card';
import { readStackHealth } from '@/lib/stack-health';
import { isLocalStack } from '@/lib/supabase/env';

export const metadata: Metadata = { title: 'Dev stack · Switchboard' };
// Reads the database on every request: this page reports live state.
export const dynamic = 'force-dynamic';

export default async function StatusPage() {
  if (!isLocalStack()) {
    return (
      <main className="mx-auto max-w-2xl px-6 py-16">
        <p>This page only reports on a local dev stack.</p>
      </main>
    );
  }
  const health = await readStackHealth();
  return (
    <main className="mx-auto max-w-2xl px-6 py-16">
      <h1 className="text-3xl font-semibold tracking-tight">Switchboard dev stack</h1>
      <StackHealthCard health={health} />
    </main>
  );
}
