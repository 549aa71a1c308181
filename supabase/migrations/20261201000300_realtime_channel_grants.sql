-- The realtime channels the caller may use, for providers that authorize
-- channels through our own endpoints (Ably token capabilities, Pusher channel
-- signatures). It states, for the signed-in user, what the policies on
-- realtime.messages grant on each topic, through the same functions, so every
-- provider grants what Supabase Realtime would. A test compares it with the
-- policies themselves for every demo user and topic.
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
  -- Live tables' scopes: the rule of live.can_read_scope; nobody writes.
  select t.table_name || ':' || s.scope, true, false, false
  from live.tables t
  cross join lateral live.readable_scopes(t.table_name) s(scope)
  where live.can_read_scope(t.table_name, s.scope)
  union all
  -- Live tables' audience topics: one's own (only rows addressed to you ever
  -- arrive there; the policy lets every user read their own).
  select t.table_name || ':@' || (select auth.uid())::text, true, false, false
  from live.tables t
  where t.audience_column is not null and (select auth.uid()) is not null
  union all
  -- Presence and ephemeral events: every member of the depot.
  select 'depot:' || m.depot_id::text || ':live', true, true, true
  from public.depot_members m
  where m.user_id = (select auth.uid())
$$;

revoke execute on function public.realtime_channel_grants() from public, anon;
grant execute on function public.realtime_channel_grants() to authenticated, service_role;
