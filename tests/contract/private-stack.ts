// A database (and, for the contract suite, an API gateway) of a test file's
// own: a fresh database on the test server (bootstrapped, migrated, seeded),
// so the people, depots and outbox rows it creates are invisible to every
// other test file, and restarts or dropped sockets disturb nobody else.
import postgres, { type Sql } from 'postgres';
import { inject } from 'vitest';
import { startApi, type RunningApi } from '@switchboard/devstack';
import { readTestKeys } from '@switchboard/devstack';
import { prepareDatabase } from '@switchboard/devstack';
import { freePort } from '@switchboard/devstack';

export interface PrivateDatabase {
  sql: Sql;
  dbUrl: string;
  drop(): Promise<void>;
}

export async function createPrivateDatabase(tag: string): Promise<PrivateDatabase> {
  const admin = postgres(inject('stack').dbUrl, { max: 1, onnotice: () => {} });
  const name = `private_${tag}_${process.pid}_${Date.now().toString(36)}`.toLowerCase();
  await admin.unsafe(`create database ${name}`);
  const url = new URL(inject('stack').dbUrl);
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  const sql = postgres(dbUrl, { max: 4, onnotice: () => {} });
  await prepareDatabase(sql);
  return {
    sql,
    dbUrl,
    async drop() {
      await sql.end({ timeout: 2 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export interface PrivateStack {
  sql: Sql;
  dbUrl: string;
  api: RunningApi;
  stop(): Promise<void>;
}

export async function startPrivateStack(tag: string): Promise<PrivateStack> {
  const database = await createPrivateDatabase(tag);
  const api = await startApi({
    dbUrl: database.dbUrl,
    port: await freePort(),
    keys: await readTestKeys(),
    env: process.env,
  });
  return {
    sql: database.sql,
    dbUrl: database.dbUrl,
    api,
    async stop() {
      await api.close();
      await database.drop();
    },
  };
}
