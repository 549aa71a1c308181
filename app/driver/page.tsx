import { dehydrate } from '@tanstack/react-query';
import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { DriverView } from '@/components/driver/driver-view';
import { LiveHydrationBoundary } from '@/lib/live/hydration';
import { notesTable } from '@/lib/shipments/notes';
import { driverShipmentsQuery, fetchMyDepots } from '@/lib/shipments/queries';
import { getQueryClient } from '@/lib/query-client';
import { requireUser } from '@/lib/session';
import { createClient } from '@/lib/supabase/server';

export const metadata: Metadata = { title: 'My shipments · Switchboard' };

export default async function DriverPage() {
  const user = await requireUser();
  if (user.role !== 'driver') redirect('/board');
  const supabase = await createClient();
  const [depot] = await fetchMyDepots(supabase);
  if (!depot)
    return <main className="p-8">You are not a member of any depot yet. Ask your dispatcher to add you.</main>;
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchQuery(driverShipmentsQuery(supabase, user.id)),
    queryClient.prefetchQuery(notesTable.audienceQuery(supabase, user.id)),
  ]);
  return (
    <LiveHydrationBoundary state={dehydrate(queryClient)}>
      <DriverView me={{ id: user.id, name: user.name, role: user.role }} depot={depot} />
    </LiveHydrationBoundary>
  );
}
