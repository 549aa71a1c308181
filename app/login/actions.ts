'use server';

import { redirect } from 'next/navigation';
import { z } from 'zod';
import { safeRedirectPath } from '@/lib/security/redirects';
import { homeFor } from '@/lib/session';
import { createClient } from '@/lib/supabase/server';

const credentials = z.object({
  email: z.email('Enter a valid email address'),
  password: z.string().min(1, 'Enter your password'),
  next: z.string().optional(),
});

export interface SignInState {
  error: string | null;
  email: string;
}

export async function signIn(_previous: SignInState, form: FormData): Promise<SignInState> {
  const parsed = credentials.safeParse(Object.fromEntries(form));
  const email = String(form.get('email') ?? '');
  if (!parsed.success) return { error: parsed.error.issues[0].message, email };

  const supabase = await createClient();
  const { data, error } = await supabase.auth.signInWithPassword({
    email: parsed.data.email,
    password: parsed.data.password,
  });
  if (error) {
    const message =
      error.code === 'invalid_credentials'
        ? 'Wrong email or password.'
        : `Could not sign in: ${error.message}. Is the Supabase API reachable?`;
    return { error: message, email };
  }
  const { data: profile } = await supabase.from('profiles').select('role').eq('id', data.user.id).maybeSingle();
  if (!profile) {
    await supabase.auth.signOut();
    return { error: 'This account has no Switchboard profile. Ask an admin to add you to a depot.', email };
  }
  // Only a path on this site: `next` comes from the query string, anyone can write it.
  redirect(safeRedirectPath(parsed.data.next) ?? homeFor(profile));
}
