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

/**
 * The signed-in user with their profile, or null. Cached for one request.
 * `getClaims()` verifies the access token locally against the project's JWKS
 * (asymmetric keys), so a page render makes no Auth request; with legacy HS256
 * tokens supabase-js falls back to asking Auth, as getUser() would.
 */
export const getCurrentUser = cache(async (): Promise<CurrentUser | null> => {
  const supabase = await createClient();
  const { data } = await supabase.auth.getClaims();
  const claims = data?.claims;
  if (!claims?.sub) return null;
  const { data: profile } = await supabase
    .from('profiles')
    .select('full_name, role')
    .eq('id', claims.sub)
    .maybeSingle();
  if (!profile) return null;
  return {
    id: claims.sub,
    email: typeof claims.email === 'string' ? claims.email : '',
    name: profile.full_name,
    role: profile.role,
  };
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
