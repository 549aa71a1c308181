import { dehydrate } from '@tanstack/react-query';
import type { Metadata } from 'next';
import { notFound, redirect } from 'next/navigation';
import { Suspense } from 'react';
import { BoardSkeleton } from '@/components/board/board-skeleton';
import { BoardView } from '@/components/board/board-view';
import { LiveHydrationBoundary } from '@/lib/live/hydration';
import { notesTable } from '@/lib/shipments/notes';
import { getQueryClient } from '@/lib/query-client';
import { depotBoardQuery, depotPeopleQuery, fetchMyDepots, type Depot } from '@/lib/shipments/queries';
import type { Me } from '@/lib/shipments/use-depot-live';
import { requireUser } from '@/lib/session';
import { createClient } from '@/lib/supabase/server';

export const metadata: Metadata = { title: 'Board · Switchboard' };

/**
 * The depot board. The frame is sent at once (who you are and which depots
 * you may see: two small reads); the shipments stream in behind it, read as
 * the signed-in user (RLS decides what they hold) together with the depot's
 * seq watermark, from which the browser subscribes and catches up. Snapshots
 * merge by seq and version (LiveHydrationBoundary), so a replayed older page
 * (Back/Forward) never rolls the board back, whatever the clocks say.
 */
export default async function BoardPage({ params }: { params: Promise<{ depotId: string }> }) {
  const user = await requireUser();
  if (user.role !== 'dispatcher') redirect('/driver');
  const { depotId } = await params;
  const depots = await fetchMyDepots(await createClient());
  const depot = depots.find((d) => d.id === depotId);
  if (!depot) notFound();
  const me: Me = { id: user.id, name: user.name, role: user.role };

  return (
    <Suspense fallback={<BoardSkeleton depot={depot} userName={user.name} />}>
      <BoardData depot={depot} depots={depots} me={me} />
    </Suspense>
  );
}

async function BoardData({ depot, depots, me }: { depot: Depot; depots: Depot[]; me: Me }) {
  const supabase = await createClient();
  const queryClient = getQueryClient();
  const board = depotBoardQuery(supabase, depot.id);
  await Promise.all([
    queryClient.fetchQuery(board),
    queryClient.prefetchQuery(depotPeopleQuery(supabase, depot.id)),
    queryClient.prefetchQuery(notesTable.listQuery(supabase, depot.id)),
  ]);
  // The server's clock when the rows were read: the browser measures lateness by it.
  const serverNow = queryClient.getQueryState(board.queryKey)?.dataUpdatedAt ?? 0;
  return (
    <LiveHydrationBoundary state={dehydrate(queryClient)}>
      <BoardView depot={depot} depots={depots} me={me} serverNow={serverNow} />
    </LiveHydrationBoundary>
  );
}
