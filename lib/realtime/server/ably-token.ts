import * as Ably from 'ably';
import type { SupabaseClient } from '@supabase/supabase-js';
import type { Database } from '../../database.types';
import { isLogicalChannel } from '../channel-names';
import { ablyRestOptions, ablyServerConfig, type AblyServerConfig } from './ably-config';

// Ably TokenRequests for the signed-in user. The capability is exactly what
// public.realtime_channel_grants() says for that user (read as the user, so
// RLS and the membership checks in the database decide), and the clientId is
// the user's id from the session: nothing the browser sends is trusted.

export type AblyOperation = 'subscribe' | 'presence' | 'publish';

export type AblyTokenOutcome =
  { ok: true; tokenRequest: Ably.TokenRequest } | { ok: false; status: 401 | 403 | 500; reason: string };

/** How long a token lives; the SDK asks the route again before it expires. */
export const ABLY_TOKEN_TTL_MS = 60 * 60 * 1000;

interface ChannelGrant {
  channel: string;
  read: boolean;
  presence: boolean;
  write: boolean;
}

/** Grants (from the database) → an Ably capability; channels are used by their logical names. */
export function capabilityFor(grants: ChannelGrant[]): Record<string, AblyOperation[]> {
  const capability: Record<string, AblyOperation[]> = {};
  for (const grant of grants) {
    if (!isLogicalChannel(grant.channel)) continue;
    const ops = new Set<AblyOperation>(capability[grant.channel] ?? []);
    if (grant.read) ops.add('subscribe');
    if (grant.presence) ops.add('presence');
    if (grant.write) ops.add('publish');
    if (ops.size) capability[grant.channel] = [...ops].sort();
  }
  return capability;
}

// One signer per key: it holds no user data (token requests are signed locally).
let signer: { apiKey: string; rest: Ably.Rest } | null = null;

function signerFor(config: AblyServerConfig): Ably.Rest {
  if (signer?.apiKey !== config.apiKey)
    signer = { apiKey: config.apiKey, rest: new Ably.Rest(ablyRestOptions(config)) };
  return signer.rest;
}

/**
 * A TokenRequest for the user `supabase` is signed in as (a server client with
 * the user's session), or why not: 401 without a session, 403 without any
 * realtime channel.
 */
export async function createAblyTokenRequest(
  supabase: SupabaseClient<Database>,
  config: AblyServerConfig = ablyServerConfig(),
): Promise<AblyTokenOutcome> {
  const { data: auth, error: authError } = await supabase.auth.getUser();
  if (authError || !auth.user) return { ok: false, status: 401, reason: 'Sign in to use realtime: no valid session.' };

  const { data: grants, error } = await supabase.rpc('realtime_channel_grants');
  if (error) return { ok: false, status: 500, reason: `Could not read realtime channel grants: ${error.message}` };

  const capability = capabilityFor(grants ?? []);
  if (Object.keys(capability).length === 0) {
    return { ok: false, status: 403, reason: 'This account has no realtime channels: it belongs to no depot.' };
  }
  const tokenRequest = await signerFor(config).auth.createTokenRequest({
    clientId: auth.user.id,
    capability,
    ttl: ABLY_TOKEN_TTL_MS,
  });
  return { ok: true, tokenRequest };
}
