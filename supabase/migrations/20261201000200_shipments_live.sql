-- Shipments are a live table: every committed change gets the next seq of its
-- depot, lands in live.changes and goes to the private topic
-- `shipments:<depot id>` (and the outbox for Ably/Pusher).
--
-- Who receives a depot's topic: the depot's dispatchers (public.is_depot_dispatcher).
-- Not the default rule ("whoever can see the depot row"): drivers can see their
-- depot's row, but the topic carries rows of other drivers' shipments, which
-- RLS on public.shipments hides from them. Drivers get their own shipments'
-- changes on `shipments:@<user id>` (the audience column driver_id), and a
-- `removed` message when a shipment is reassigned away from them.
select live.publish('public.shipments', 'depot_id',
                    scope_check => 'public.is_depot_dispatcher(uuid)',
                    audience_column => 'driver_id');

-- The shipment domain's views of the live history, in the shapes the app,
-- the timeline and operators' queries use. security_invoker: the rule of
-- live.changes (RLS) applies to whoever reads them.
create view public.shipment_events with (security_invoker = true) as
  select c.seq as id, c.scope::uuid as depot_id, c.seq, c.row_id::uuid as shipment_id, c.operation, c.version,
         (coalesce(c.record, c.changes -> 'status' -> 'old') ->> 'status')::public.shipment_status as status,
         c.actor_id, c.changes, c.record, c.created_at
    from live.changes c
   where c.table_name = 'shipments';
comment on view public.shipment_events is 'Append-only history of shipment changes, ordered per depot by seq (commit order): live.changes of shipments.';

create view public.depot_watermarks with (security_invoker = true) as
  select w.scope::uuid as depot_id, w.last_seq, w.updated_at
    from live.watermarks w
   where w.table_name = 'shipments';
comment on view public.depot_watermarks is 'Highest committed shipment change seq of each depot. Read it with public.depot_watermark(depot).';

-- Only the trigger writes the history, not even the service role: a
-- hand-written row could break seq order.
revoke insert, update, delete, truncate on public.shipment_events, public.depot_watermarks
  from anon, authenticated, service_role;

create function public.refuse_history_rewrite() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception '% is append-only: only the live trigger writes it', tg_table_name using errcode = '42501';
end;
$$;
revoke execute on function public.refuse_history_rewrite() from public, anon, authenticated;

create trigger shipment_events_append_only
  instead of insert or update or delete on public.shipment_events
  for each row execute function public.refuse_history_rewrite();
create trigger depot_watermarks_written_by_the_trigger_only
  instead of insert or update or delete on public.depot_watermarks
  for each row execute function public.refuse_history_rewrite();

-- The watermark a server render hands to the client: "you have everything up
-- to here; subscribe, then ask for changes after it". Runs as the caller, so
-- it answers only for depots the caller may read (null otherwise).
create function public.depot_watermark(depot uuid) returns bigint
language sql stable
set search_path = ''
as $$
  select public.live_watermark('shipments', depot::text)
$$;
