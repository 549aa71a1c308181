-- Business rules of a shipment, enforced in the database so that no client
-- (the app, a script, a forged request) can skip them:
--   * status moves only along allowed transitions;
--   * a driver may only touch shipments assigned to them, and only their status
--     (forward, along the driver's transitions) and position;
--   * an assigned driver must be a driver of the shipment's depot;
--   * version goes up by one on every update; id, depot and created_at never change.

create function public.allowed_next_statuses(current_status public.shipment_status)
returns public.shipment_status[]
language sql immutable
set search_path = ''
as $$
  select case current_status
    when 'pending'    then array['assigned', 'cancelled']::public.shipment_status[]
    when 'assigned'   then array['picked_up', 'pending', 'cancelled']::public.shipment_status[]
    when 'picked_up'  then array['in_transit', 'failed']::public.shipment_status[]
    when 'in_transit' then array['delivered', 'failed']::public.shipment_status[]
    when 'failed'     then array['pending']::public.shipment_status[]
    else array[]::public.shipment_status[]  -- delivered and cancelled are final
  end
$$;
comment on function public.allowed_next_statuses is 'The status graph of a shipment. The app reads it to offer only legal actions; the trigger enforces it.';

-- Statuses a driver may set on their own shipment (a subset of the graph above).
create function public.driver_settable_statuses() returns public.shipment_status[]
language sql immutable
set search_path = ''
as $$
  select array['picked_up', 'in_transit', 'delivered', 'failed']::public.shipment_status[]
$$;

create function public.enforce_shipment_rules() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  caller_is_driver boolean := false;
  driver_editable constant text[] := array['status', 'last_lat', 'last_lng', 'last_position_at', 'version', 'updated_at'];
begin
  if caller is not null then
    select p.role = 'driver' into caller_is_driver from public.profiles p where p.id = caller;
    caller_is_driver := coalesce(caller_is_driver, false);
  end if;

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
    -- shipment releases its driver.
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

create trigger shipments_enforce_rules
  before insert or update on public.shipments
  for each row execute function public.enforce_shipment_rules();
