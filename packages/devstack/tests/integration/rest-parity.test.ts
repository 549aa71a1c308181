// PostgREST 13 behaviour the dev stack used to leave out or do differently,
// through supabase-js: many-to-many embedding through a junction table,
// planned and estimated counts, form-urlencoded bodies, and `limit` on a
// PATCH (PostgREST 13 dropped limited updates: every matching row changes,
// so max-affected is the way to bound a write).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  rawRequest,
  serviceClient,
  startRestGateway,
  throwawayName,
  type RestClient,
  type RestTestStack,
} from './rest-helpers';

let stack: RestTestStack;
let db: RestClient;
const t = throwawayName('rest_parity');
const users = `${t}_users`;
const tasks = `${t}_tasks`;
const assignments = `${t}_assignments`;

beforeAll(async () => {
  stack = await startRestGateway();
  db = serviceClient(stack);
  await stack.sql.unsafe(`
    create table public.${users} (id int primary key, name text not null);
    create table public.${tasks} (id int primary key, title text not null, done boolean not null default false);
    create table public.${assignments} (
      user_id int references public.${users} (id),
      task_id int references public.${tasks} (id),
      primary key (user_id, task_id));
    insert into public.${users} values (1, 'Ann'), (2, 'Bob'), (3, 'Cy');
    insert into public.${tasks} select g, 'task ' || g, false from generate_series(1, 40) g;
    insert into public.${assignments} values (1, 1), (1, 2), (2, 2);
    analyze public.${tasks};
    -- Only this file's tables: the database is shared with the app's tests.
    grant all on public.${users}, public.${tasks}, public.${assignments} to anon, authenticated, service_role;
  `);
  await stack.sql`notify pgrst, 'reload schema'`;
});

afterAll(async () => {
  if (!stack) return;
  await stack.sql.unsafe(`drop table if exists public.${assignments}, public.${tasks}, public.${users}`);
  await stack.close();
});

describe('many-to-many', () => {
  it('embeds through a junction table whose primary key holds both foreign keys, both ways', async () => {
    const { data, error } = await db.from(users).select(`name, ${tasks}(title)`).order('id');
    expect(error).toBeNull();
    expect(data).toEqual([
      { name: 'Ann', [tasks]: expect.arrayContaining([{ title: 'task 1' }, { title: 'task 2' }]) },
      { name: 'Bob', [tasks]: [{ title: 'task 2' }] },
      { name: 'Cy', [tasks]: [] },
    ]);
    const back = await db.from(tasks).select(`title, ${users}!inner(name)`).eq('id', 2).single();
    expect((back.data as Record<string, unknown> | null)?.[users]).toEqual(
      expect.arrayContaining([{ name: 'Ann' }, { name: 'Bob' }]),
    );
    const hinted = await db.from(users).select(`name, ${tasks}!${assignments}(title)`).eq('id', 2).single();
    expect(hinted.data).toEqual({ name: 'Bob', [tasks]: [{ title: 'task 2' }] });
  });
});

describe('counts', () => {
  it("count=planned answers the planner's estimate of the rows", async () => {
    const { count, data } = await db.from(tasks).select('id', { count: 'planned' }).limit(1);
    expect(data).toHaveLength(1);
    const [plan] = await stack.sql.unsafe<{ 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }[]>(
      `explain (format json) select 1 from public.${tasks}`,
    );
    expect(count).toBe(plan['QUERY PLAN'][0].Plan['Plan Rows']);
  });

  it('count=estimated is exact below max rows', async () => {
    const { count } = await db.from(tasks).select('id', { count: 'estimated' }).eq('done', false).limit(1);
    expect(count).toBe(40);
  });
});

describe('bodies and limits', () => {
  it('inserts a form-urlencoded body, values as text', async () => {
    const res = await rawRequest(stack, `/${tasks}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', prefer: 'return=representation' },
      body: 'id=41&title=from+a+form',
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual([{ id: 41, title: 'from a form', done: false }]);
  });

  it('updates every matching row even with limit(), as PostgREST 13 does; max-affected bounds it', async () => {
    const { data } = await db.from(tasks).update({ done: true }).lte('id', 3).limit(1).select('id');
    expect(data).toHaveLength(3);
    const bounded = await db.from(tasks).update({ done: false }).lte('id', 3).maxAffected(1);
    expect(bounded.error?.code).toBe('PGRST124');
  });
});
