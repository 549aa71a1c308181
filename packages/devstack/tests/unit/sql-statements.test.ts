// Migration files split into statements with Postgres's own grammar: each
// statement's text and the line of its first token, whatever comments, dollar
// quotes, semicolons inside strings or multi-byte characters come before it.
import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../src/sql-statements';

const FILE = `-- A migration with everything a splitter can trip on.
create table public.notes (id int primary key, body text);

/* a block comment; with a semicolon */
create function public.greet() returns text language plpgsql as $$
begin
  return 'hello; world';
end
$$;
insert into public.notes values (1, 'café; crème');
create function public.two() returns int language sql
begin atomic
  select 1;
  select 2;
end;
select 'last'`;

describe('splitStatements', () => {
  it.each([15, 17])('splits a file into statements with their first lines (PostgreSQL %i grammar)', async (version) => {
    const statements = await splitStatements(FILE, version);
    expect(statements?.map((s) => s.line)).toEqual([2, 5, 10, 11, 16]);
    expect(statements?.map((s) => s.text.trim().split('\n').at(-1))).toEqual([
      'create table public.notes (id int primary key, body text)',
      '$$',
      "insert into public.notes values (1, 'café; crème')",
      'end',
      "select 'last'",
    ]);
    // Offsets are characters of the file (libpg_query counts bytes; 'é' is two).
    for (const statement of statements!) expect(FILE.slice(statement.offset)).toContain(statement.text.trim());
  });

  it('gives null for a file Postgres cannot parse, so the server reports the syntax error itself', async () => {
    expect(await splitStatements('create tabel x ();', 17)).toBeNull();
  });

  it('gives no statements for an empty file or one with comments only', async () => {
    expect(await splitStatements('', 17)).toEqual([]);
    expect(await splitStatements('-- nothing to do\n', 17)).toEqual([]);
  });
});
