import { NextResponse } from 'next/server';
import { authorizePusherChannel } from '@/lib/realtime/server/pusher-auth';
import { pusherServerConfig } from '@/lib/realtime/server/pusher-config';
import { createClient } from '@/lib/supabase/server';

// pusher-js (through the Pusher adapter) posts socket_id and channel_name here
// as a form, with the session cookies. 200 {auth, channel_data?} | 4xx {error}.
export async function POST(request: Request) {
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    return NextResponse.json(
      { error: 'Send socket_id and channel_name as a form (application/x-www-form-urlencoded).' },
      { status: 400 },
    );
  }
  const supabase = await createClient();
  const result = await authorizePusherChannel(supabase, pusherServerConfig(), {
    socket_id: form.get('socket_id') ?? undefined,
    channel_name: form.get('channel_name') ?? undefined,
  });
  return NextResponse.json(result.body, { status: result.status, headers: { 'cache-control': 'no-store' } });
}
