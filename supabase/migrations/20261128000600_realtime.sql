-- Realtime wiring.
--
-- Topics (all private, authorized by the policies on realtime.messages below):
--   depot:<depot id>       committed shipment changes, sent by the change-feed
--                          trigger. Read: the depot's dispatchers. Write: nobody
--                          (only the database), so a client cannot forge a change.
--   depot:<depot id>:live  presence (who is online, who views or edits what) and
--                          ephemeral broadcasts (driver positions, edit markers).
--                          Read and write: every member of the depot.
--   driver:<user id>       changes to the shipments assigned to that driver.
--                          Read: that driver only.
-- Drivers do not read depot:<id>: its messages carry rows of other drivers'
-- shipments, which RLS on public.shipments hides from them.

-- Postgres Changes for shipments.
-- REPLICA IDENTITY FULL: the WAL then carries the whole previous row on UPDATE
-- and DELETE. Without it the old row holds only the primary key, so a
-- subscription filtered by depot (`depot_id=eq.<id>`) would never match a
-- DELETE, and UPDATE subscribers could not see what a row changed from. The
-- cost is a larger WAL record per update, acceptable for a table of this size
-- and write rate. (Realtime still trims old_record to what the subscriber may see.)
alter table public.shipments replica identity full;
alter publication supabase_realtime add table public.shipments;

-- Parses 'depot:<uuid>' (kind 'changes') or 'depot:<uuid>:live' (kind 'live');
-- anything else gives null, so a malformed topic matches no policy.
create function public.depot_id_of_topic(topic text, kind text) returns uuid
language sql immutable
set search_path = ''
as $$
  select case
    when kind = 'changes' and topic ~ '^depot:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
      then substr(topic, 7, 36)::uuid
    when kind = 'live' and topic ~ '^depot:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:live$'
      then substr(topic, 7, 36)::uuid
  end
$$;

create policy "Dispatchers can receive shipment changes of their depots"
  on realtime.messages for select to authenticated
  using (
    extension = 'broadcast'
    and (select public.is_depot_dispatcher(public.depot_id_of_topic(realtime.topic(), 'changes')))
  );

create policy "Depot members can see presence and live broadcasts of their depots"
  on realtime.messages for select to authenticated
  using (
    extension in ('broadcast', 'presence')
    and (select public.is_depot_member(public.depot_id_of_topic(realtime.topic(), 'live')))
  );

create policy "Depot members can share presence and positions on their depots' live topic"
  on realtime.messages for insert to authenticated
  with check (
    extension in ('broadcast', 'presence')
    and (select public.is_depot_member(public.depot_id_of_topic(realtime.topic(), 'live')))
  );

create policy "Drivers can receive changes to their own shipments"
  on realtime.messages for select to authenticated
  using (
    extension = 'broadcast'
    and (select realtime.topic()) = 'driver:' || (select auth.uid())::text
  );
