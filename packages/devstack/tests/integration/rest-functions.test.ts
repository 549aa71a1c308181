// Functions over rows and other PostgREST 13 reads, through supabase-js:
// computed fields, computed relationships, a function's single unnamed
// parameter, relationships through views, spreading to-many embeds, and
// `Accept: application/vnd.pgrst.plan` (EXPLAIN) once the database enables it.
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
const t = throwawayName('rest_fn');
const authors = `${t}_authors`;
const books = `${t}_books`;

beforeAll(async () => {
  stack = await startRestGateway();
  db = serviceClient(stack);
  await stack.sql.unsafe(`
    create table public.${authors} (id int primary key, first text not null, last text not null);
    create table public.${books} (
      id int primary key,
      author_id int references public.${authors} (id),
      title text not null,
      pages int not null
    );
    insert into public.${authors} values (1, 'Ada', 'Lovelace'), (2, 'Alan', 'Turing'), (3, 'Grace', 'Hopper');
    insert into public.${books} values
      (10, 1, 'Notes', 30), (11, 1, 'Sketch', 120), (12, 2, 'Computable Numbers', 36), (13, 2, 'Morphogenesis', 72);

    -- computed fields: functions of the row type, selected, filtered and ordered like columns
    create function public.${t}_full(a public.${authors}) returns text language sql stable
      as $$ select a.first || ' ' || a.last $$;
    create function public.${t}_book_count(a public.${authors}) returns bigint language sql stable
      as $$ select count(*) from public.${books} b where b.author_id = a.id $$;
    -- computed relationships: functions from one row type to rows of another
    create function public.${t}_longest(a public.${authors}) returns setof public.${books} rows 1 language sql stable
      as $$ select * from public.${books} b where b.author_id = a.id order by b.pages desc limit 1 $$;
    create function public.${t}_short(a public.${authors}) returns setof public.${books} language sql stable
      as $$ select * from public.${books} b where b.author_id = a.id and b.pages < 50 order by b.id $$;
    create function public.${t}_writer(b public.${books}) returns setof public.${authors} rows 1 language sql stable
      as $$ select * from public.${authors} a where a.id = b.author_id $$;

    -- single unnamed parameters
    create function public.${t}_echo(json) returns json language sql immutable as $$ select $1 $$;
    create function public.${t}_say(text) returns text language sql immutable as $$ select 'said: ' || $1 $$;
    create function public.${t}_twice(integer) returns integer language sql immutable as $$ select $1 * 2 $$;

    -- views over the tables, and a view over a view
    create view public.${t}_writers as select id as writer_id, last as surname from public.${authors};
    create view public.${t}_works as select id, author_id as writer, title from public.${books};
    create view public.${t}_famous as select writer_id, surname from public.${t}_writers where writer_id < 3;

    -- Only this file's tables: the database is shared with the app's tests.
    grant all on public.${authors}, public.${books}, public.${t}_writers, public.${t}_works, public.${t}_famous
      to anon, authenticated, service_role;
  `);
  await stack.sql`notify pgrst, 'reload schema'`;
});

afterAll(async () => {
  if (!stack) return;
  await stack.sql.unsafe(`alter role authenticator in database "${await dbName()}" reset pgrst.db_plan_enabled`);
  await stack.sql.unsafe(`notify pgrst, 'reload config'`);
  await stack.sql.unsafe(`
    drop view if exists public.${t}_famous, public.${t}_works, public.${t}_writers;
    drop function if exists public.${t}_echo(json), public.${t}_say(text), public.${t}_twice(integer);
    drop table if exists public.${books}, public.${authors} cascade;`);
  await stack.close();
});

async function dbName(): Promise<string> {
  const [row] = await stack.sql<{ name: string }[]>`select current_database() as name`;
  return row.name;
}

describe('computed fields', () => {
  it('selects, filters and orders by a function of the row as if it were a column', async () => {
    const { data, error } = await db
      .from(authors)
      .select(`id, full:${t}_full, books:${t}_book_count`)
      .gte(`${t}_book_count`, 1)
      .order(`${t}_full`, { ascending: false });
    expect(error).toBeNull();
    expect(data).toEqual([
      { id: 2, full: 'Alan Turing', books: 2 },
      { id: 1, full: 'Ada Lovelace', books: 2 },
    ]);
    const one = await db.from(authors).select(`${t}_full`).eq(`${t}_full`, 'Grace Hopper').single();
    expect(one.data).toEqual({ [`${t}_full`]: 'Grace Hopper' });
  });

  it('is not part of *, and works on the rows a write returns', async () => {
    const { data } = await db.from(authors).select('*').eq('id', 3);
    expect(data).toEqual([{ id: 3, first: 'Grace', last: 'Hopper' }]);
    const written = await db.from(authors).update({ first: 'Grace B.' }).eq('id', 3).select(`id, ${t}_full`);
    expect(written.data).toEqual([{ id: 3, [`${t}_full`]: 'Grace B. Hopper' }]);
    await db.from(authors).update({ first: 'Grace' }).eq('id', 3);
  });
});

describe('computed relationships', () => {
  it('embeds a function returning rows of another table: to-one with rows 1, to-many otherwise', async () => {
    const { data, error } = await db
      .from(authors)
      .select(`id, longest:${t}_longest(title), short:${t}_short(title)`)
      .order('id');
    expect(error).toBeNull();
    expect(data).toEqual([
      { id: 1, longest: { title: 'Sketch' }, short: [{ title: 'Notes' }] },
      { id: 2, longest: { title: 'Morphogenesis' }, short: [{ title: 'Computable Numbers' }] },
      { id: 3, longest: null, short: [] },
    ]);
  });

  it('filters through a computed relationship with !inner and embeds it from the other side', async () => {
    const inner = await db.from(authors).select(`id, ${t}_short!inner(title)`).eq(`${t}_short.title`, 'Notes');
    expect(inner.data).toEqual([{ id: 1, [`${t}_short`]: [{ title: 'Notes' }] }]);
    const back = await db.from(books).select(`title, ${t}_writer(last)`).eq('id', 12).single();
    expect(back.data).toEqual({ title: 'Computable Numbers', [`${t}_writer`]: { last: 'Turing' } });
  });
});

describe('a single unnamed parameter', () => {
  it('hands a json parameter the whole body, whatever its keys', async () => {
    expect((await db.rpc(`${t}_echo`, { '': 5 })).data).toEqual({ '': 5 });
    expect((await db.rpc(`${t}_echo`, { a: 1, b: [2] })).data).toEqual({ a: 1, b: [2] });
  });

  it('hands a text parameter the body as text: the JSON body as sent, or a text/plain body', async () => {
    const json = await db.rpc(`${t}_say`, { '': 'hi' });
    expect(json.error).toBeNull();
    expect(json.data).toBe('said: {"":"hi"}');
    const plain = await rawRequest(stack, `/rpc/${t}_say`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(plain.body).toBe('said: hello');
  });

  it('leaves out functions with an unnamed parameter of another type, as PostgREST does', async () => {
    const { error, status } = await db.rpc(`${t}_twice`, { '': 2 });
    expect(status).toBe(404);
    expect(error).toMatchObject({
      code: 'PGRST202',
      message: `Could not find the function public.${t}_twice() in the schema cache`,
      details: `Searched for the function public.${t}_twice with parameter  or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
    });
    const text = await rawRequest(stack, `/rpc/${t}_twice`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '2',
    });
    expect(text.body).toEqual({
      code: 'PGRST202',
      message: `Could not find the function public.${t}_twice in the schema cache`,
      details: `Searched for the function public.${t}_twice with a single unnamed text parameter, but no matches were found in the schema cache.`,
      hint: null,
    });
  });
});

describe('relationships through views', () => {
  it('embeds a table in a view, a view in a table, and a view in a view, through the keys the view exposes', async () => {
    const viewToTable = await db.from(`${t}_writers`).select(`surname, ${books}(title)`).eq('writer_id', 2);
    expect(viewToTable.error).toBeNull();
    expect(viewToTable.data).toEqual([
      { surname: 'Turing', [books]: [{ title: 'Computable Numbers' }, { title: 'Morphogenesis' }] },
    ]);
    const tableToView = await db.from(books).select(`title, ${t}_writers(surname)`).eq('id', 10).single();
    expect(tableToView.data).toEqual({ title: 'Notes', [`${t}_writers`]: { surname: 'Lovelace' } });
    const viewToView = await db.from(`${t}_works`).select(`title, ${t}_writers(surname)`).eq('id', 13).single();
    expect(viewToView.data).toEqual({ title: 'Morphogenesis', [`${t}_writers`]: { surname: 'Turing' } });
    const viewOfView = await db.from(`${t}_famous`).select(`surname, ${t}_works(title)`).order('writer_id');
    expect(viewOfView.data).toEqual([
      { surname: 'Lovelace', [`${t}_works`]: [{ title: 'Notes' }, { title: 'Sketch' }] },
      { surname: 'Turing', [`${t}_works`]: [{ title: 'Computable Numbers' }, { title: 'Morphogenesis' }] },
    ]);
  });
});

describe('spread on to-many embeds', () => {
  it('spreads each column of a to-many embed into the parent as an array, in the embed order', async () => {
    const { data, error } = await db
      .from(authors)
      .select(`first, ...${books}(title, pages)`)
      .order('id')
      .order('pages', { referencedTable: books, ascending: false });
    expect(error).toBeNull();
    expect(data).toEqual([
      { first: 'Ada', title: ['Sketch', 'Notes'], pages: [120, 30] },
      { first: 'Alan', title: ['Morphogenesis', 'Computable Numbers'], pages: [72, 36] },
      { first: 'Grace', title: [], pages: [] },
    ]);
    const aliased = await db.from(authors).select(`first, ...${books}(titles:title)`).eq('id', 1);
    expect(aliased.data).toEqual([{ first: 'Ada', titles: expect.arrayContaining(['Notes', 'Sketch']) }]);
  });
});

describe('EXPLAIN (Accept: application/vnd.pgrst.plan)', () => {
  it('answers 406 until pgrst.db_plan_enabled is set, then the plan as text or JSON', async () => {
    const off = await db.from(books).select('title').explain();
    expect(off.status).toBe(406);
    expect(off.error).toMatchObject({
      code: 'PGRST107',
      message: 'None of these media types are available: application/vnd.pgrst.plan+text; for="application/json"',
    });
    await stack.sql.unsafe(
      `alter role authenticator in database "${await dbName()}" set pgrst.db_plan_enabled = 'true'`,
    );
    await stack.sql`notify pgrst, 'reload config'`;
    await expect.poll(async () => (await db.from(books).select('title').explain()).status).toBe(200);

    const text = await db.from(books).select('title').eq('pages', 30).explain();
    expect(typeof text.data).toBe('string');
    expect(text.data as unknown as string).toMatch(/Aggregate/);
    expect(text.data as unknown as string).toMatch(new RegExp(`Scan .*on ${books}`));
    const json = await db.from(books).select('title').explain({ format: 'json', analyze: true });
    const plan = json.data as unknown as { Plan: { 'Node Type': string; 'Actual Rows': number } }[];
    expect(plan[0].Plan['Node Type']).toBe('Aggregate');
    expect(plan[0].Plan['Actual Rows']).toBe(1);
    const rpc = await db.rpc(`${t}_echo`, { a: 1 }).explain({ format: 'json' });
    expect(Array.isArray(rpc.data)).toBe(true);
  });
});
