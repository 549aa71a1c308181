import type { SupabaseClient } from '@supabase/supabase-js';
import Pusher from 'pusher';
import { z } from 'zod';
import type { Database } from '@/lib/database.types';
import { logicalChannelName } from '../channel-names';

// Pusher channel authorization bound to the database: the signed-in user may
// join a private-/presence- channel only if public.realtime_channel_grants()
// (run as that user, under RLS) grants it. Nothing the client sends besides
// the socket and channel names is trusted; presence identity comes from the
// session and the profiles table.
//
// No 'server-only' import here so tests can call it with their own client;
// the route handler that uses it is server-only anyway.

export const pusherAuthRequestSchema = z.object({
  socket_id: z.string({ error: 'socket_id is required' }).regex(/^\d+\.\d+$/, 'socket_id is not a Pusher socket id'),
  channel_name: z.string({ error: 'channel_name is required' }).min(1).max(200),
});

export type PusherAuthRequest = z.infer<typeof pusherAuthRequestSchema>;

export interface PusherSigningKeys {
  appId: string;
  key: string;
  secret: string;
}

export type PusherAuthResult =
  { status: 200; body: { auth: string; channel_data?: string } } | { status: 400 | 401 | 403; body: { error: string } };

const refuse = (status: 400 | 401 | 403, error: string): PusherAuthResult => ({ status, body: { error } });

/** Decides and signs one channel authorization for the user of `supabase`. */
export async function authorizePusherChannel(
  supabase: SupabaseClient<Database>,
  keys: PusherSigningKeys,
  input: unknown,
): Promise<PusherAuthResult> {
  const request = pusherAuthRequestSchema.safeParse(input);
  if (!request.success) return refuse(400, request.error.issues.map((i) => i.message).join('; '));
  const { socket_id: socketId, channel_name: channelName } = request.data;

  const { data: auth } = await supabase.auth.getUser();
  if (!auth.user) return refuse(401, 'Not signed in: sign in before joining realtime channels.');

  const logical = logicalChannelName('pusher', channelName);
  if (!logical) return refuse(403, `${channelName} is not a Switchboard channel.`);

  const { data: grants, error } = await supabase.rpc('realtime_channel_grants');
  if (error) throw new Error(`Could not read realtime_channel_grants(): ${error.message}`);
  const grant = grants.find((g) => g.channel === logical);
  if (!grant?.read) return refuse(403, `You may not read ${logical}: it is not one of your channels.`);

  // Signing uses only the key and secret; the cluster is required by the SDK but irrelevant here.
  const signer = new Pusher({ appId: keys.appId, key: keys.key, secret: keys.secret, cluster: 'mt1' });
  if (!channelName.startsWith('presence-'))
    return { status: 200, body: signer.authorizeChannel(socketId, channelName) };

  if (!grant.presence) return refuse(403, `You may not join presence on ${logical}.`);
  const { data: profile, error: profileError } = await supabase
    .from('profiles')
    .select('full_name, role')
    .eq('id', auth.user.id)
    .maybeSingle();
  if (profileError) throw new Error(`Could not read your profile: ${profileError.message}`);
  if (!profile) return refuse(403, 'Your account has no profile, so it cannot appear in presence.');
  return {
    status: 200,
    body: signer.authorizeChannel(socketId, channelName, {
      user_id: auth.user.id,
      user_info: { name: profile.full_name, role: profile.role },
    }),
  };
}
