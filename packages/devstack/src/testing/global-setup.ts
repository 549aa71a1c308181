// Starts a private dev stack for the test run: a throw-away embedded Postgres on
// free ports (never the developer's :54322), or a fresh database on the server
// given by DATABASE_URL, which is dropped afterwards.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startApi, type RunningApi } from '../api';
import { readTestKeys } from '../keys';
import { freePort } from '../postgres';
import { startStack, type RunningStack } from '../stack';
import type { StackInfo } from './stack-info';

let stack: RunningStack | null = null;
let api: RunningApi | null = null;
let cleanup: (() => Promise<void>) | null = null;

export async function setup(project: TestProject): Promise<void> {
  const external = process.env.DATABASE_URL;
  let databaseUrl: string | undefined;
  if (external) {
    const name = `switchboard_test_${process.pid}_${Date.now()}`;
    const admin = postgres(external, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const url = new URL(external);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    cleanup = async () => {
      const dropper = postgres(external, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    };
  }
  const dataDir = external ? undefined : await mkdtemp(path.join(os.tmpdir(), 'switchboard-test-'));
  // As root, Postgres runs as the "postgres" user, which must be able to enter the folder.
  if (dataDir) await chmod(dataDir, 0o755);
  stack = await startStack({
    databaseUrl,
    dbPort: await freePort(),
    dataDir: dataDir ? path.join(dataDir, 'pg') : undefined,
    ephemeral: true,
  });
  if (dataDir) {
    const previous = cleanup;
    cleanup = async () => {
      await previous?.();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  // The CLI's default keys, whatever the developer's shell exports, in the JWT
  // mode DEVSTACK_JWT_ALGORITHM picks (ES256 unless HS256; npm test runs both).
  const keys = await readTestKeys();
  api = await startApi({ dbUrl: stack.dbUrl, port: await freePort(), keys, env: process.env });
  const [{ server_version }] = await stack.sql<{ server_version: string }[]>`show server_version`;
  const info: StackInfo = {
    dbUrl: stack.dbUrl,
    postgresUrl: stack.postgresUrl,
    serverVersion: server_version,
    apiUrl: api.url,
    anonKey: keys.anonKey,
    serviceRoleKey: keys.serviceRoleKey,
    jwtSecret: keys.jwtSecret,
    publishableKey: keys.publishableKey,
    secretKey: keys.secretKey,
    jwtAlgorithm: keys.jwtAlgorithm,
    keys,
  };
  project.provide('stack', info);
  console.log(
    `[tests] Postgres ${server_version} at ${stack.dbUrl.replace(/:[^:@/]+@/, ':***@')}, API at ${api.url}, ${keys.jwtAlgorithm} tokens`,
  );
}

export async function teardown(): Promise<void> {
  await api?.close();
  await stack?.stop();
  await cleanup?.();
}
