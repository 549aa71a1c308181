-- Failed deliveries carry a reason: when a driver reports "couldn't deliver",
-- the shipment moves to failed together with why (recipient absent, address
-- wrong, refused, damaged, or other with a note). The reason is part of the
-- shipment row, so it is in every change the live trigger records
-- (live.changes: `changes` and `record`, i.e. public.shipment_events) and in
-- every message dispatchers' boards receive; the board shows it as an exception.
--
-- Enforced here, not only in the app:
--   * a reason exists only on a failed shipment, and "other" always has a note;
--   * a driver who moves a shipment to failed must give a reason, and may set a
--     reason only in that same move (not edit one afterwards);
--   * leaving failed (a dispatcher re-queues the shipment) clears the reason on
--     the row; the history keeps it.
-- Dispatchers may still move a shipment to failed without a reason (the board
-- has no reason picker yet); to require one from everyone, drop
-- `caller_is_driver and` from the rule marked (*) below.

create type public.failure_reason as enum ('recipient_absent', 'address_wrong', 'refused', 'damaged', 'other');
comment on type public.failure_reason is 'Why a delivery failed, as the driver reported it.';

alter table public.shipments
  add column failure_reason public.failure_reason,
  add column failure_note text,
  add constraint shipments_failure_reason_only_when_failed
    check (failure_reason is null or status = 'failed'),
  add constraint shipments_failure_note_has_reason
    check (failure_note is null or failure_reason is not null),
  add constraint shipments_failure_note_length
    check (failure_note is null or length(failure_note) between 1 and 500),
  add constraint shipments_other_failure_has_note
    check (failure_reason is distinct from 'other' or failure_note is not null);
comment on column public.shipments.failure_reason is 'Why the delivery failed (only while status is failed).';
comment on column public.shipments.failure_note is 'The driver''s words about the failure (required for reason "other"), at most 500 characters.';

-- The rules of 20261128000300_shipment_rules.sql, plus the failure reason.
create or replace function public.enforce_shipment_rules() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  caller_is_driver boolean := false;
  driver_editable constant text[] := array['status', 'last_lat', 'last_lng', 'last_position_at',
                                           'failure_reason', 'failure_note', 'version', 'updated_at'];
begin
  if caller is not null then
    select p.role = 'driver' into caller_is_driver from public.profiles p where p.id = caller;
    caller_is_driver := coalesce(caller_is_driver, false);
  end if;

  -- A blank note is no note.
  new.failure_note := nullif(btrim(new.failure_note), '');

  if tg_op = 'INSERT' then
    new.version := 1;
    new.updated_at := now();
    -- People create shipments as pending or directly assigned; other statuses
    -- only come from imports run with the service role.
    if caller is not null and new.status not in ('pending', 'assigned') then
      raise exception 'A new shipment starts as pending or assigned, not %', new.status
        using errcode = '23514';
    end if;
    if caller_is_driver then
      raise exception 'Drivers cannot create shipments' using errcode = '42501';
    end if;
  else
    if new.id <> old.id or new.depot_id <> old.depot_id or new.created_at <> old.created_at then
      raise exception 'The id, depot and creation time of a shipment cannot change'
        using errcode = '23514';
    end if;

    -- Assigning a driver to a pending shipment assigns it; removing the driver
    -- of an assigned shipment puts it back to pending; re-queuing a failed
    -- shipment releases its driver and clears the reason (the history keeps it).
    if new.status = old.status and new.driver_id is distinct from old.driver_id then
      if old.status = 'pending' and new.driver_id is not null then
        new.status := 'assigned';
      elsif old.status = 'assigned' and new.driver_id is null then
        new.status := 'pending';
      end if;
    end if;
    if old.status = 'failed' and new.status = 'pending' then
      new.driver_id := null;
    end if;
    if old.status = 'failed' and new.status <> 'failed' then
      new.failure_reason := null;
      new.failure_note := null;
    end if;

    if new.status <> old.status and not new.status = any (public.allowed_next_statuses(old.status)) then
      raise exception 'Shipment % cannot move from % to %', old.reference, old.status, new.status
        using errcode = '23514',
              hint = format('Allowed next statuses: %s',
                            coalesce(nullif(array_to_string(public.allowed_next_statuses(old.status), ', '), ''), 'none (final)'));
    end if;

    if caller_is_driver then
      if old.driver_id is distinct from caller then
        raise exception 'Drivers can only update shipments assigned to them' using errcode = '42501';
      end if;
      if (to_jsonb(new) - driver_editable) <> (to_jsonb(old) - driver_editable) then
        raise exception 'Drivers can only change the status and position of a shipment' using errcode = '42501';
      end if;
      if new.status <> old.status and not new.status = any (public.driver_settable_statuses()) then
        raise exception 'Drivers cannot set a shipment to %', new.status using errcode = '42501';
      end if;
      if (new.failure_reason, new.failure_note) is distinct from (old.failure_reason, old.failure_note)
         and not (new.status = 'failed' and old.status <> 'failed') then
        raise exception 'Drivers give a failure reason only when they report a failed delivery'
          using errcode = '42501';
      end if;
    end if;

    -- (*) A driver's failed delivery says why.
    if caller_is_driver and new.status = 'failed' and old.status <> 'failed' and new.failure_reason is null then
      raise exception 'Say why the delivery of % failed', old.reference
        using errcode = '23514',
              hint = 'Set failure_reason to recipient_absent, address_wrong, refused, damaged or other (with a failure_note)';
    end if;

    new.version := old.version + 1;
    new.updated_at := now();
  end if;

  if new.driver_id is not null and (tg_op = 'INSERT' or new.driver_id is distinct from old.driver_id) then
    if not exists (
      select 1 from public.profiles p
      join public.depot_members m on m.user_id = p.id
      where p.id = new.driver_id and p.role = 'driver' and m.depot_id = new.depot_id
    ) then
      raise exception 'The assigned user is not a driver of this depot' using errcode = '23514';
    end if;
  end if;

  return new;
end;
$$;

revoke execute on function public.enforce_shipment_rules() from public, anon, authenticated;

-- The history view gains the reason after each change (like `status`: the
-- shipment's state after the change), so "failed, and why" is one query:
--   select * from shipment_events where failure_reason is not null
create or replace view public.shipment_events with (security_invoker = true) as
  select c.seq as id, c.scope::uuid as depot_id, c.seq, c.row_id::uuid as shipment_id, c.operation, c.version,
         (coalesce(c.record, c.changes -> 'status' -> 'old') ->> 'status')::public.shipment_status as status,
         c.actor_id, c.changes, c.record, c.created_at,
         (c.record ->> 'failure_reason')::public.failure_reason as failure_reason,
         c.record ->> 'failure_note' as failure_note
    from live.changes c
   where c.table_name = 'shipments';
