import type { ProviderName } from './types';

// Logical channel names are the Supabase topics:
//   <table>:<scope>       a live table's scope (`shipments:<depot id>`)
//   <table>:@<user id>    a live table's rows addressed to one person
//   depot:<uuid>:live     a depot's presence and ephemeral events
// Pusher allows no ':' and needs a private-/presence- prefix; Ably takes the
// names as they are. The relay and the auth routes use the same mapping, so
// both ends always agree. Table names have no '-' (live.publish refuses them)
// and scope values no ':', so the Pusher form maps back unambiguously.

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const TABLE = '[a-z_][a-z0-9_]{0,62}';
const SCOPE = '@?[A-Za-z0-9_.-]{1,100}';
const PRESENCE = new RegExp(`^depot:${UUID}:live$`);
const LIVE_TOPIC = new RegExp(`^(${TABLE}):(${SCOPE})$`);

export function isLogicalChannel(name: string): boolean {
  return PRESENCE.test(name) || LIVE_TOPIC.test(name);
}

/** The provider's name for a logical channel. */
export function providerChannelName(provider: ProviderName, logical: string): string {
  if (!isLogicalChannel(logical)) throw new Error(`Not a Switchboard channel: ${logical}`);
  if (provider !== 'pusher') return logical;
  const dashed = logical.replaceAll(':', '-');
  return PRESENCE.test(logical) ? `presence-${dashed}` : `private-${dashed}`;
}

/** The logical channel behind a provider's channel name, or null if it is not one of ours. */
export function logicalChannelName(provider: ProviderName, name: string): string | null {
  if (provider !== 'pusher') return isLogicalChannel(name) ? name : null;
  const presence = new RegExp(`^presence-depot-(${UUID})-live$`).exec(name);
  const live = new RegExp(`^private-(${TABLE})-(${SCOPE})$`).exec(name);
  const logical = presence ? `depot:${presence[1]}:live` : live ? `${live[1]}:${live[2]}` : null;
  return logical && isLogicalChannel(logical) && providerChannelName('pusher', logical) === name ? logical : null;
}
