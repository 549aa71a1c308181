-- The transactional outbox for Ably and Pusher. Supabase Realtime reads
-- realtime.messages itself; Ably and Pusher cannot see the database, so the
-- same trigger that calls realtime.send also writes each message here, in the
-- same transaction, and the relay (relay/, `npm run relay`) publishes the rows
-- with the provider's server SDK. Because the row is written by the writing
-- transaction, a committed change always has its outbox rows and a rolled-back
-- one never has: no dual write, nothing lost between the commit and the publish.
--
-- The relay delivers at least once, in id order per channel. Within a channel
-- id order is seq order: the rows of one depot's changes are inserted while the
-- writer holds the depot's counter row lock (see 20261128000400_change_feed.sql),
-- so a later seq also gets a later id and commits later. Clients drop
-- duplicates by seq, as they do for Supabase.

create table public.realtime_outbox (
  id bigint generated always as identity primary key,
  -- The LOGICAL channel (`depot:<id>`, `driver:<id>`), as given to
  -- realtime.send; the relay maps it to the provider's name
  -- (lib/realtime/channel-names.ts), so the database knows no provider.
  channel text not null,
  event text not null,
  payload jsonb not null,
  -- The depot seq of the change, for ordering checks and operators' queries;
  -- null for messages that are not change events.
  seq bigint,
  created_at timestamptz not null default now(),
  -- Set by the relay once the provider accepted the message; delivered rows
  -- are pruned after a retention window.
  delivered_at timestamptz,
  -- Failed publish attempts so far, the last provider error, and when the
  -- relay may try again (exponential backoff with jitter).
  attempts integer not null default 0,
  last_error text,
  next_attempt_at timestamptz not null default now()
);
comment on table public.realtime_outbox is
  'Realtime messages waiting for the relay (Ably/Pusher), written in the transaction of the change. Service role only.';

-- "Undelivered, in id order": the relay's batch query, and the head row of
-- each channel (its first undelivered message, which gates the channel while it
-- waits for a retry). Partial, so delivered rows waiting for pruning cost nothing.
create index realtime_outbox_undelivered_idx on public.realtime_outbox (id) where delivered_at is null;
create index realtime_outbox_undelivered_channel_idx on public.realtime_outbox (channel, id) where delivered_at is null;
-- Pruning delivered rows older than the retention window.
create index realtime_outbox_delivered_at_idx on public.realtime_outbox (delivered_at) where delivered_at is not null;

-- Only the relay (service role or the database owner) reads it. RLS on with no
-- policy for anon/authenticated, and no grants either: payloads carry rows of
-- every depot, and the relay's view of the queue is nobody else's business.
alter table public.realtime_outbox enable row level security;
revoke all on table public.realtime_outbox from public, anon, authenticated;
grant select, insert, update, delete on table public.realtime_outbox to service_role;

-- The trigger of 20261128000400_change_feed.sql, unchanged except that every
-- realtime.send is paired with the same message in the outbox, and a
-- notification wakes the relay. `create or replace` keeps the trigger and the
-- execute privileges revoked in 20261128000500_row_level_security.sql.
create or replace function public.publish_shipment_change() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  depot uuid := coalesce(new.depot_id, old.depot_id);
  -- jsonb rather than a row variable: a null row variable still serializes as an object of nulls.
  record_after jsonb := case when tg_op = 'DELETE' then null else to_jsonb(new) end;
  next_seq bigint;
  diff jsonb := '{}'::jsonb;
  message jsonb;
  removed jsonb;
begin
  -- The counter row lock is what orders seq by commit (see the top of 20261128000400_change_feed.sql).
  insert into public.depot_watermarks as w (depot_id, last_seq) values (depot, 1)
  on conflict (depot_id) do update set last_seq = w.last_seq + 1, updated_at = now()
  returning w.last_seq into next_seq;

  if tg_op = 'UPDATE' then
    select coalesce(jsonb_object_agg(n.key, jsonb_build_object('old', o.value, 'new', n.value)), '{}'::jsonb)
      into diff
      from jsonb_each(to_jsonb(new)) n
      join jsonb_each(to_jsonb(old)) o using (key)
     where n.value is distinct from o.value and n.key not in ('version', 'updated_at');
  end if;

  insert into public.shipment_events (depot_id, seq, shipment_id, operation, version, status, actor_id, changes, record)
  values (depot, next_seq, coalesce(new.id, old.id), tg_op, coalesce(new.version, old.version),
          coalesce(new.status, old.status), auth.uid(), diff, record_after);

  message := jsonb_build_object(
    'seq', next_seq,
    'depot_id', depot,
    'id', coalesce(new.id, old.id),
    'version', coalesce(new.version, old.version),
    'operation', tg_op,
    'changed', (select coalesce(jsonb_agg(k), '[]'::jsonb) from jsonb_object_keys(diff) k),
    'record', record_after
  );

  -- Dispatchers of the depot: every change.
  perform realtime.send(message, 'shipment_changed', 'depot:' || depot::text, true);
  insert into public.realtime_outbox (channel, event, payload, seq)
  values ('depot:' || depot::text, 'shipment_changed', message, next_seq);

  -- The assigned driver: changes to their shipments; a previous driver learns
  -- that the shipment left their list, without seeing the row any more.
  if new.driver_id is not null then
    perform realtime.send(message, 'shipment_changed', 'driver:' || new.driver_id::text, true);
    insert into public.realtime_outbox (channel, event, payload, seq)
    values ('driver:' || new.driver_id::text, 'shipment_changed', message, next_seq);
  end if;
  if tg_op <> 'INSERT' and old.driver_id is not null and old.driver_id is distinct from new.driver_id then
    removed := jsonb_build_object('seq', next_seq, 'depot_id', depot, 'id', old.id,
                                  'version', coalesce(new.version, old.version));
    perform realtime.send(removed, 'shipment_removed', 'driver:' || old.driver_id::text, true);
    insert into public.realtime_outbox (channel, event, payload, seq)
    values ('driver:' || old.driver_id::text, 'shipment_removed', removed, next_seq);
  end if;

  -- Wakes a listening relay at commit (notifications are delivered only then,
  -- and identical ones in one transaction are folded into one). The payload is
  -- empty: the relay reads the table, so a missed notification loses nothing.
  perform pg_notify('realtime_outbox', '');

  return null;
end;
$$;
