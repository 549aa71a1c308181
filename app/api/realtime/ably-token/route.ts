import 'server-only';
import { NextResponse } from 'next/server';
import { createAblyTokenRequest } from '@/lib/realtime/server/ably-token';
import { createClient } from '@/lib/supabase/server';

// The Ably token endpoint (authUrl / authCallback of the ably adapter). Query
// parameters the SDK adds (clientId, capability…) are ignored on purpose: who
// the user is and what they may join come from the session and the database.

export const dynamic = 'force-dynamic';

const noStore = { 'cache-control': 'no-store' };

export async function GET(): Promise<NextResponse> {
  const supabase = await createClient();
  const outcome = await createAblyTokenRequest(supabase);
  if (!outcome.ok) return NextResponse.json({ error: outcome.reason }, { status: outcome.status, headers: noStore });
  return NextResponse.json(outcome.tokenRequest, { headers: noStore });
}

export const POST = GET;
