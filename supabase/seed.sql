-- Demo data: two depots, six accounts (password: password123), 30 shipments per depot.
-- Runs on the dev stack and on `supabase db reset` alike. IDs are fixed so that
-- docs, tests and bookmarks can refer to them.

insert into public.depots (id, name, min_lat, min_lng, max_lat, max_lng) values
  ('d0000000-0000-4000-8000-000000000001', 'North Depot', 53.40, -2.40, 53.56, -2.10),
  ('d0000000-0000-4000-8000-000000000002', 'South Depot', 50.80, -0.25, 50.88, -0.05);

with demo (id, email, full_name, role) as (
  values
    ('a0000000-0000-4000-8000-000000000001'::uuid, 'dispatcher.north@example.com', 'Nora Quinn',   'dispatcher'),
    ('a0000000-0000-4000-8000-000000000002'::uuid, 'dispatcher.south@example.com', 'Sami Okafor',  'dispatcher'),
    ('a0000000-0000-4000-8000-000000000003'::uuid, 'dispatcher.hq@example.com',    'Hana Lindqvist', 'dispatcher'),
    ('a0000000-0000-4000-8000-000000000011'::uuid, 'driver.north1@example.com',    'Niko Rivera',  'driver'),
    ('a0000000-0000-4000-8000-000000000012'::uuid, 'driver.north2@example.com',    'Nadia Brooks', 'driver'),
    ('a0000000-0000-4000-8000-000000000021'::uuid, 'driver.south1@example.com',    'Sol Mendes',   'driver')
), new_users as (
  insert into auth.users (
    instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
    raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
    confirmation_token, recovery_token, email_change_token_new, email_change,
    email_change_token_current, reauthentication_token, phone_change, phone_change_token
  )
  select '00000000-0000-0000-0000-000000000000', id, 'authenticated', 'authenticated', email,
         extensions.crypt('password123', extensions.gen_salt('bf', 10)), now(),
         '{"provider": "email", "providers": ["email"]}'::jsonb,
         jsonb_build_object('full_name', full_name), now(), now(),
         '', '', '', '', '', '', '', ''
  from demo
  returning id
), new_identities as (
  insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
  select id::text, id,
         jsonb_build_object('sub', id::text, 'email', email, 'email_verified', true, 'phone_verified', false),
         'email', now(), now(), now()
  from demo
  returning user_id
)
insert into public.profiles (id, full_name, role)
select id, full_name, role::public.app_role from demo;

insert into public.depot_members (depot_id, user_id) values
  ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001'),
  ('d0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000002'),
  ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000003'),
  ('d0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000003'),
  ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000011'),
  ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000012'),
  ('d0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000021');

-- 30 shipments per depot. Status by position in the list (3 of every 10 pending,
-- 2 assigned, then one each of picked_up, in_transit, delivered, failed, cancelled);
-- drivers take turns; positions and ETAs only where they make sense.
with depot (id, prefix, drivers, min_lat, min_lng, max_lat, max_lng) as (
  select d.id, case d.name when 'North Depot' then 'NOR' else 'SOU' end,
         array(select m.user_id from public.depot_members m join public.profiles p on p.id = m.user_id
               where m.depot_id = d.id and p.role = 'driver' order by p.full_name),
         d.min_lat, d.min_lng, d.max_lat, d.max_lng
  from public.depots d
), numbered as (
  select depot.*, n,
         (array['pending','pending','pending','assigned','assigned','picked_up','in_transit',
                'delivered','failed','cancelled'])[(n % 10) + 1]::public.shipment_status as status,
         (array['Ada Moreau','Ben Castillo','Chloe Nakamura','Dev Patel','Eli Svensson','Fatima Haddad',
                'Gus Oyelaran','Iris Novak','Jonas Weber','Kemi Adeyemi','Lena Fischer','Marco Bianchi'])[(n % 12) + 1] as recipient,
         (array['Mill Lane','Station Road','High Street','Canal Walk','Church Row','Market Square',
                'Park Avenue','Victoria Street','Bridge Road','Orchard Close'])[(n % 10) + 1] as street
  from depot, generate_series(1, 30) as n
)
insert into public.shipments (depot_id, reference, recipient, address, status, driver_id, eta,
                              last_lat, last_lng, last_position_at, failure_reason, failure_note)
select id,
       format('%s-%s', prefix, 1000 + n),
       recipient,
       format('%s %s', (n * 7) % 120 + 1, street),
       status,
       case when status in ('pending', 'cancelled') then null
            else drivers[(n % array_length(drivers, 1)) + 1] end,
       case when status in ('assigned', 'picked_up', 'in_transit')
            then date_trunc('minute', now()) + make_interval(mins => 20 + n * 7) end,
       case when status in ('picked_up', 'in_transit')
            then min_lat + (max_lat - min_lat) * ((n * 37) % 100) / 100.0 end,
       case when status in ('picked_up', 'in_transit')
            then min_lng + (max_lng - min_lng) * ((n * 53) % 100) / 100.0 end,
       case when status in ('picked_up', 'in_transit') then now() end,
       -- Failed deliveries say why (the driver's reason; "other" needs a note).
       case when status = 'failed'
            then (array['recipient_absent','refused','other'])[(n / 10) % 3 + 1]::public.failure_reason end,
       case when status = 'failed' and (n / 10) % 3 = 2 then 'Gate locked, no answer on the intercom' end
from numbered
order by id, n;
