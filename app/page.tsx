import { redirect } from 'next/navigation';
import { getCurrentUser, homeFor } from '@/lib/session';

// Role-based landing: dispatchers go to the board, drivers to their shipments.
export default async function HomePage() {
  const user = await getCurrentUser();
  redirect(user ? homeFor(user) : '/login');
}
