-- The realtime channels the caller may use, for providers that authorize
-- channels through our own endpoints (Ably token capabilities, Pusher channel
-- signatures). It states, for the signed-in user, what the policies on
-- realtime.messages grant on each topic, using the same membership checks, so
-- every provider grants what Supabase Realtime would. A test compares it with
-- the policies themselves for every demo user and topic.
--
--   read     receive messages on the channel
--   presence see and join presence
--   write    publish (ephemeral events) on the channel

create function public.realtime_channel_grants()
returns table (channel text, read boolean, presence boolean, write boolean)
language sql
stable
set search_path = ''
as $$
  -- Committed shipment changes: the depot's dispatchers read; nobody writes.
  select 'depot:' || m.depot_id::text, true, false, false
  from public.depot_members m
  where m.user_id = (select auth.uid()) and public.is_depot_dispatcher(m.depot_id)
  union all
  -- Presence and ephemeral events: every member of the depot.
  select 'depot:' || m.depot_id::text || ':live', true, true, true
  from public.depot_members m
  where m.user_id = (select auth.uid())
  union all
  -- One's own feed (only drivers ever get messages there; the policy lets
  -- every user read their own).
  select 'driver:' || p.id::text, true, false, false
  from public.profiles p
  where p.id = (select auth.uid())
$$;

revoke execute on function public.realtime_channel_grants() from public, anon;
grant execute on function public.realtime_channel_grants() to authenticated, service_role;
