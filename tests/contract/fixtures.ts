// A depot of its own with its own people, so the contract suite never touches
// the demo accounts other test files count on.
import type { Sql } from 'postgres';

export interface ContractPerson {
  id: string;
  email: string;
  name: string;
  role: 'dispatcher' | 'driver';
}

export interface ContractWorld {
  depotId: string;
  otherDepotId: string;
  dispatcher: ContractPerson;
  colleague: ContractPerson;
  driver: ContractPerson;
  password: string;
}

export const PASSWORD = 'contract-password-1';

export async function createPerson(
  sql: Sql,
  tag: string,
  role: ContractPerson['role'],
  name: string,
): Promise<ContractPerson> {
  const email = `${tag}.${role}.${Math.random().toString(36).slice(2, 8)}@contract.test`;
  const [{ id }] = await sql<{ id: string }[]>`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${email},
            extensions.crypt(${PASSWORD}, extensions.gen_salt('bf', 4)), now(),
            '{"provider":"email","providers":["email"]}', ${sql.json({ full_name: name })}, now(), now())
    returning id`;
  await sql`insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
            values (${id}, ${id}, ${sql.json({ sub: id, email })}, 'email', now(), now())`;
  await sql`insert into profiles (id, full_name, role) values (${id}, ${name}, ${role})`;
  return { id, email, name, role };
}

export async function createWorld(sql: Sql, tag: string): Promise<ContractWorld> {
  const unique = `${tag}-${process.pid}-${Date.now().toString(36)}`;
  const [{ id: depotId }] =
    await sql`insert into depots (name, min_lat, min_lng, max_lat, max_lng) values (${`Contract ${unique}`}, 1, 1, 2, 2) returning id`;
  const [{ id: otherDepotId }] =
    await sql`insert into depots (name, min_lat, min_lng, max_lat, max_lng) values (${`Contract other ${unique}`}, 1, 1, 2, 2) returning id`;
  const dispatcher = await createPerson(sql, tag, 'dispatcher', 'Contract Dispatcher');
  const colleague = await createPerson(sql, tag, 'dispatcher', 'Contract Colleague');
  const driver = await createPerson(sql, tag, 'driver', 'Contract Driver');
  for (const p of [dispatcher, colleague, driver])
    await sql`insert into depot_members (depot_id, user_id) values (${depotId}, ${p.id})`;
  return { depotId, otherDepotId, dispatcher, colleague, driver, password: PASSWORD };
}

/** Commits `count` changes to one new shipment of the depot, one transaction each; returns the shipment id. */
export async function commitChanges(sql: Sql, depotId: string, count: number): Promise<string> {
  const [{ id }] = await sql`
    insert into shipments (depot_id, reference, recipient, address)
    values (${depotId}, ${`CTR-${Date.now().toString(36).toUpperCase()}${Math.floor(Math.random() * 1e4)}`}, 'R', 'A') returning id`;
  for (let i = 1; i < count; i++)
    await sql`update shipments set eta = now() + make_interval(mins => ${i}) where id = ${id}`;
  return id;
}

/** What the contract exercises: one live table, its topic and a way to commit changes to one of its scopes. */
export interface LiveSubject {
  /** The live table (topic prefix). */
  table: string;
  /** Commits `count` changes in the scope, one transaction each. */
  commit(sql: Sql, scope: string, count: number): Promise<void>;
  /** People who may NOT receive the scope's topic although they belong to its depot (none for the default rule). */
  refusedMembers: (world: ContractWorld) => ContractPerson[];
}

export const shipmentsSubject: LiveSubject = {
  table: 'shipments',
  commit: async (sql, scope, count) => void (await commitChanges(sql, scope, count)),
  // The scope check is "dispatcher of the depot": drivers see the depot, not its feed.
  refusedMembers: (world) => [world.driver],
};

/**
 * A throw-away table made live with the default rule (readers of the
 * referenced depot row), to prove the pipeline is not shipment-specific.
 */
export async function createThrowawayLiveTable(sql: Sql): Promise<LiveSubject> {
  const table = `contract_items_${process.pid}`;
  await sql.unsafe(`
    create table public.${table} (
      id bigint generated always as identity primary key,
      depot_id uuid not null references public.depots (id),
      label text not null
    );
    alter table public.${table} enable row level security;
    create policy "Depot members can read items of their depots" on public.${table}
      for select to authenticated using ((select public.is_depot_member(depot_id)));
    select live.publish('public.${table}', 'depot_id');`);
  return {
    table,
    async commit(sql, scope, count) {
      const [{ id }] = await sql.unsafe(
        `insert into public.${table} (depot_id, label) values ($1, 'v1') returning id`,
        [scope],
      );
      for (let i = 1; i < count; i++)
        await sql.unsafe(`update public.${table} set label = $2 where id = $1`, [id, `v${i + 1}`]);
    },
    refusedMembers: () => [],
  };
}
