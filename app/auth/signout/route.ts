import { NextResponse } from 'next/server';
import { createClient } from '@/lib/supabase/server';

export async function POST() {
  const supabase = await createClient();
  await supabase.auth.signOut();
  // A relative Location on purpose: request.url names the server's own address
  // (http://localhost:<port>), not the public host a reverse proxy serves.
  return new NextResponse(null, { status: 303, headers: { Location: '/login' } });
}
