import { StackHealthCard } from '@/components/stack-health-card';
import { readStackHealth } from '@/lib/stack-health';

// Reads the database on every request: this page reports live state.
export const dynamic = 'force-dynamic';

export default async function HomePage() {
  const health = await readStackHealth();

  return (
    <main className="mx-auto max-w-2xl px-6 py-16">
      <h1 className="text-3xl font-semibold tracking-tight">Switchboard</h1>
      <p className="mt-2 text-slate-600 dark:text-slate-400">
        Live shipment dispatch on Next.js, Supabase Realtime and React Query.
      </p>

      <StackHealthCard health={health} />
    </main>
  );
}
