-- Dead letters of the outbox relay (relay/, `npm run relay`).
--
-- A message the provider refuses for good (too large, forbidden, malformed) or
-- that still fails after the relay's last attempt (RELAY_MAX_ATTEMPTS) used to
-- stay at the head of its channel and hold every later message of that channel
-- back forever. The relay now moves it here, in one statement, with the reason,
-- and the channel goes on. Nothing is lost for the browsers: every change is
-- also in the live table's history (live.changes), and a board that sees the
-- next seq fills the gap from there.
--
-- `npm run relay -- --retry-dead` moves rows back into public.realtime_outbox
-- under their original id, so a re-queued message takes its old place in its
-- channel (id order is seq order within a channel, see
-- 20261128000800_realtime_outbox.sql).

create table public.realtime_outbox_dead_letters (
  -- The outbox row's id, kept for the re-queue.
  id bigint primary key,
  channel text not null,
  event text not null,
  payload jsonb not null,
  seq bigint,
  -- When the change committed (the outbox row's created_at).
  created_at timestamptz not null,
  -- Publish attempts made, and why the relay gave up: the provider's refusal
  -- (permanent) or the last error after the last attempt.
  attempts integer not null,
  reason text not null,
  permanent boolean not null,
  dead_at timestamptz not null default now()
);
comment on table public.realtime_outbox_dead_letters is
  'Outbox messages the relay gave up on (refused for good, or failing after its last attempt), with the reason. Service role only; npm run relay -- --retry-dead re-queues them.';

create index realtime_outbox_dead_letters_channel_idx on public.realtime_outbox_dead_letters (channel, id);

-- Like the outbox: payloads carry rows of every scope, so no API role reads it.
alter table public.realtime_outbox_dead_letters enable row level security;
revoke all on table public.realtime_outbox_dead_letters from public, anon, authenticated;
grant select, insert, update, delete on table public.realtime_outbox_dead_letters to service_role;
