// Shared setup for the REST integration tests: a gateway serving the REST
// service on a free port against the test database, supabase-js clients for
// each kind of caller (tokens minted here, so these tests need no Auth
// service), and a throwaway table per file so writes never meet another file's.
import { randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import postgres, { type Sql } from 'postgres';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { startGateway } from '../../src/gateway/server';
import { findProjectRoot } from '../../src/config';
import { signJwt } from '../../src/jwt';
import { readTestKeys, type StackKeys } from '../../src/keys';
import { freePort } from '../../src/postgres';
import { createRestService } from '../../src/rest';
import { readSupabaseConfig } from '../../src/supabase-config';
import '../../src/testing/stack-info';

export interface RestTestStack {
  url: string;
  keys: StackKeys;
  /** Superuser pool for arranging and checking rows directly. */
  sql: Sql;
  close(): Promise<void>;
}

export async function startRestGateway(env: Record<string, string> = {}): Promise<RestTestStack> {
  const sql = postgres(inject('stack').dbUrl, { max: 6, onnotice: () => {} });
  const keys = await readTestKeys();
  const port = await freePort();
  const gateway = await startGateway(port, [
    createRestService({
      sql,
      keys,
      apiUrl: `http://127.0.0.1:${port}`,
      env: { ...process.env, ...env },
      config: readSupabaseConfig(findProjectRoot()),
    }),
  ]);
  return {
    url: gateway.url,
    keys,
    sql,
    async close() {
      await gateway.close();
      await sql.end({ timeout: 2 });
    },
  };
}

const clientOptions = {
  realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
};

/** A signed-in user's access token, as the stack's Auth would mint it (ES256, or HS256 in legacy mode). */
export async function userToken(
  keys: StackKeys,
  userId: string,
  claims: Record<string, unknown> = {},
  expiresInSec = 3600,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(keys, {
    role: 'authenticated',
    aud: 'authenticated',
    ...claims,
    sub: userId,
    iat: now,
    exp: now + expiresInSec,
  });
}

export function anonClient(stack: RestTestStack): SupabaseClient {
  return createClient(stack.url, stack.keys.anonKey, clientOptions);
}

/**
 * A client typed for PostgREST 13, the version the dev stack follows (so
 * `maxAffected()` and spreads on to-many embeds type-check), over tables
 * without generated types.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- supabase-js's own default Database for untyped tables
export type RestClient = SupabaseClient<any, { PostgrestVersion: '13' }>;

export function serviceClient(stack: RestTestStack): RestClient {
  return createClient(stack.url, stack.keys.serviceRoleKey, clientOptions);
}

/** A client that sends `token` as its bearer (the anon key stays the apikey, as in the browser). */
export function tokenClient(stack: RestTestStack, token: string): SupabaseClient {
  return createClient(stack.url, stack.keys.anonKey, { ...clientOptions, accessToken: async () => token });
}

export async function userClient(stack: RestTestStack, userId: string): Promise<SupabaseClient> {
  return tokenClient(stack, await userToken(stack.keys, userId));
}

/** Raw HTTP against /rest/v1, for what supabase-js cannot express (bad JSON, huge bodies, bad headers). */
export async function rawRequest(
  stack: RestTestStack,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; token?: string } = {},
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const token = init.token ?? stack.keys.serviceRoleKey;
  const res = await fetch(`${stack.url}/rest/v1${path}`, {
    method: init.method ?? 'GET',
    headers: { apikey: token, authorization: `Bearer ${token}`, ...init.headers },
    body: init.body,
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** A unique name for a throwaway table or function of one test file. */
export function throwawayName(prefix: string): string {
  return `${prefix}_${randomUUID().slice(0, 8)}`;
}

/**
 * A table only this file uses: items with an array, a jsonb document and a
 * child table with a foreign key, so filters, embedding and writes can be
 * proved without touching the sample data other files read.
 */
export async function createThrowawayTables(
  sql: Sql,
  name: string,
): Promise<{ items: string; notes: string; drop(): Promise<void> }> {
  const items = name;
  const notes = `${name}_notes`;
  await sql.unsafe(`
    create table public.${items} (
      id bigint generated by default as identity primary key,
      sku text not null unique,
      title text not null default 'untitled',
      qty integer not null default 0 check (qty >= 0),
      tags text[] not null default '{}',
      doc jsonb,
      active boolean not null default true,
      created_at timestamptz not null default now()
    );
    create table public.${notes} (
      id bigint generated by default as identity primary key,
      item_id bigint not null references public.${items} (id) on delete cascade,
      body text not null
    );
    grant all on public.${items}, public.${notes} to anon, authenticated, service_role;
  `);
  return {
    items,
    notes,
    async drop() {
      await sql.unsafe(`drop table if exists public.${notes}, public.${items} cascade`);
    },
  };
}
