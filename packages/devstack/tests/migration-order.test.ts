// A pending migration that sorts before one the database already applied is
// applied, with a warning: a fresh database would run it earlier, and
// `supabase db push` refuses it without --include-all.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, expect, inject, it } from 'vitest';
import { bootstrap, migrate } from '../src/migrate';
import { connect } from './support/fixture';

const sql = connect(1);
afterAll(() => sql.end());

it('warns about a pending migration that sorts before the latest applied one, and still applies it', async () => {
  const name = `migration_order_${process.pid}_${Date.now()}`;
  await sql.unsafe(`create database ${name}`);
  const url = new URL(inject('stack').dbUrl);
  url.pathname = `/${name}`;
  const db = postgres(url.toString(), { max: 1, onnotice: () => {} });
  const root = await mkdtemp(path.join(os.tmpdir(), 'migration-order-'));
  const dir = path.join(root, 'supabase', 'migrations');
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, '20261205000100_later.sql'), 'create table later (id int primary key);');
    await bootstrap(db);
    const first = await migrate(db, { projectDir: root });
    expect(first.applied.map((m) => m.version)).toEqual(['20261205000100']);
    expect(first.warnings).toEqual([]);

    await writeFile(path.join(dir, '20261130172026_earlier.sql'), 'create table earlier (id int primary key);');
    const second = await migrate(db, { projectDir: root });
    expect(second.applied.map((m) => m.version)).toEqual(['20261130172026']);
    expect(second.warnings).toEqual([
      expect.stringMatching(
        /^20261130172026_earlier\.sql sorts before 20261205000100, which this database already applied: .*supabase db push.*--include-all.*Rename it/,
      ),
    ]);
    const [{ n }] = await db<{ n: number }[]>`select count(*)::int as n from pg_tables where tablename = 'earlier'`;
    expect(n).toBe(1);
  } finally {
    await db.end();
    await sql.unsafe(`drop database ${name} with (force)`);
    await rm(root, { recursive: true, force: true });
  }
});
