import { dehydrate } from '@tanstack/react-query';
import type { Metadata } from 'next';
import { notFound, redirect } from 'next/navigation';
import { BoardView } from '@/components/board/board-view';
import { LiveHydrationBoundary } from '@/lib/live/hydration';
import { notesTable } from '@/lib/shipments/notes';
import { depotBoardQuery, depotPeopleQuery, fetchMyDepots } from '@/lib/shipments/queries';
import { getQueryClient } from '@/lib/query-client';
import { requireUser } from '@/lib/session';
import { createClient } from '@/lib/supabase/server';

export const metadata: Metadata = { title: 'Board · Switchboard' };

/**
 * Server-renders the depot board as the signed-in user (RLS decides what it
 * holds) and hands React Query the shipments together with the depot's seq
 * watermark; the client subscribes and catches up from there. The snapshot is
 * merged by seq and version (LiveHydrationBoundary), so a replayed older page
 * (Back/Forward) never rolls the board back, whatever the clocks say.
 */
export default async function BoardPage({ params }: { params: Promise<{ depotId: string }> }) {
  const user = await requireUser();
  if (user.role !== 'dispatcher') redirect('/driver');
  const { depotId } = await params;
  const supabase = await createClient();
  const depots = await fetchMyDepots(supabase);
  const depot = depots.find((d) => d.id === depotId);
  if (!depot) notFound();

  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.fetchQuery(depotBoardQuery(supabase, depotId)),
    queryClient.prefetchQuery(depotPeopleQuery(supabase, depotId)),
    queryClient.prefetchQuery(notesTable.listQuery(supabase, depotId)),
  ]);

  return (
    <LiveHydrationBoundary state={dehydrate(queryClient)}>
      <BoardView depot={depot} depots={depots} me={{ id: user.id, name: user.name, role: user.role }} />
    </LiveHydrationBoundary>
  );
}
