import type { ProviderName } from './types';

// Logical channel names are the Supabase topics (`depot:<uuid>`,
// `depot:<uuid>:live`, `driver:<uuid>`). Pusher allows no ':' and needs a
// private-/presence- prefix; Ably takes the names as they are. The relay and
// the auth routes use the same mapping, so both ends always agree.

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const LOGICAL = new RegExp(`^(depot:${UUID}(:live)?|driver:${UUID})$`);

export function isLogicalChannel(name: string): boolean {
  return LOGICAL.test(name);
}

/** The provider's name for a logical channel. */
export function providerChannelName(provider: ProviderName, logical: string): string {
  if (!isLogicalChannel(logical)) throw new Error(`Not a Switchboard channel: ${logical}`);
  if (provider !== 'pusher') return logical;
  const dashed = logical.replaceAll(':', '-');
  return logical.endsWith(':live') ? `presence-${dashed}` : `private-${dashed}`;
}

/** The logical channel behind a provider's channel name, or null if it is not one of ours. */
export function logicalChannelName(provider: ProviderName, name: string): string | null {
  if (provider !== 'pusher') return isLogicalChannel(name) ? name : null;
  const match = new RegExp(`^(?:private|presence)-(depot|driver)-(${UUID})(-live)?$`).exec(name);
  if (!match) return null;
  const logical = `${match[1]}:${match[2]}${match[3] ? ':live' : ''}`;
  return isLogicalChannel(logical) && providerChannelName('pusher', logical) === name ? logical : null;
}
