import 'server-only';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { createClient } from '@/lib/supabase/server';

export interface CurrentUser {
  id: string;
  email: string;
  name: string;
  role: 'dispatcher' | 'driver';
}

/** The signed-in user with their profile, or null. Cached for one request. */
export const getCurrentUser = cache(async (): Promise<CurrentUser | null> => {
  const supabase = await createClient();
  const { data: auth } = await supabase.auth.getUser();
  if (!auth.user) return null;
  const { data: profile } = await supabase
    .from('profiles')
    .select('full_name, role')
    .eq('id', auth.user.id)
    .maybeSingle();
  if (!profile) return null;
  return { id: auth.user.id, email: auth.user.email ?? '', name: profile.full_name, role: profile.role };
});

/** The signed-in user, or a redirect to /login. */
export async function requireUser(): Promise<CurrentUser> {
  const user = await getCurrentUser();
  if (!user) redirect('/login');
  return user;
}

/** Where a role lands after signing in. */
export function homeFor(user: Pick<CurrentUser, 'role'>): string {
  return user.role === 'driver' ? '/driver' : '/board';
}
