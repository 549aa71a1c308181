-- The transactional outbox for Ably and Pusher. Supabase Realtime reads
-- realtime.messages itself; Ably and Pusher cannot see the database, so the
-- live tables' trigger (live.publish_change, 20261201000100_live_schema.sql)
-- that calls realtime.send also writes each message here, in the
-- same transaction, and the relay (relay/, `npm run relay`) publishes the rows
-- with the provider's server SDK. Because the row is written by the writing
-- transaction, a committed change always has its outbox rows and a rolled-back
-- one never has: no dual write, nothing lost between the commit and the publish.
--
-- The relay delivers at least once, in id order per channel. Within a channel
-- id order is seq order: the rows of one scope's changes are inserted while the
-- writer holds the scope's counter row lock (see 20261201000100_live_schema.sql),
-- so a later seq also gets a later id and commits later. Clients drop
-- duplicates by seq, as they do for Supabase.

create table public.realtime_outbox (
  id bigint generated always as identity primary key,
  -- The LOGICAL channel (`shipments:<depot id>`, `shipments:@<user id>`), as given to
  -- realtime.send; the relay maps it to the provider's name
  -- (lib/realtime/channel-names.ts), so the database knows no provider.
  channel text not null,
  event text not null,
  payload jsonb not null,
  -- The scope seq of the change, for ordering checks and operators' queries;
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
