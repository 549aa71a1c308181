// Throw-away Supabase projects (a folder with supabase/config.toml, migrations,
// seed) and throw-away databases on the test server, for tests that need a
// project or a schema other than the starter's.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { inject } from 'vitest';
import '../../src/testing/stack-info';

export interface ThrowawayProject {
  root: string;
  /** Writes a file relative to the project folder, creating folders as needed. */
  write(file: string, text: string): void;
  remove(): void;
}

/** A project folder holding `files` (paths relative to it, e.g. supabase/config.toml). */
export function throwawayProject(files: Record<string, string>): ThrowawayProject {
  const root = mkdtempSync(path.join(os.tmpdir(), 'devstack-project-'));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  for (const [file, text] of Object.entries({ 'supabase/config.toml': '', ...files })) write(file, text);
  return { root, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface ThrowawayDatabase {
  /** A superuser connection string for it. */
  url: string;
  /** A superuser pool. */
  sql: Sql;
  drop(): Promise<void>;
}

/** An empty database on the test server (nothing bootstrapped), dropped by drop(). */
export async function throwawayDatabase(tag: string): Promise<ThrowawayDatabase> {
  const admin = postgres(inject('stack').dbUrl, { max: 1, onnotice: () => {} });
  const name = `${tag}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(inject('stack').dbUrl);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
  return {
    url: url.toString(),
    sql,
    async drop() {
      await sql.end({ timeout: 2 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
