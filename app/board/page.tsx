import { redirect } from 'next/navigation';
import { fetchMyDepots } from '@/lib/shipments/queries';
import { requireUser } from '@/lib/session';
import { createClient } from '@/lib/supabase/server';

/** Opens the dispatcher's first depot. */
export default async function BoardIndex() {
  const user = await requireUser();
  if (user.role !== 'dispatcher') redirect('/driver');
  const depots = await fetchMyDepots(await createClient());
  if (depots.length === 0) {
    return <main className="p-8">You are not a member of any depot yet. Ask an admin to add you.</main>;
  }
  redirect(`/board/${depots[0].id}`);
}
