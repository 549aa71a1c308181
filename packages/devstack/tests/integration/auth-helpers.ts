// Shared setup for the auth integration tests: a gateway serving only the auth
// service, on a free port, against the test database, with its own env (token
// lifetime, reuse interval), so each file can pick the settings it proves.
import { randomUUID } from 'node:crypto';
import { createClient, type AuthChangeEvent, type Session, type SupabaseClient } from '@supabase/supabase-js';
import postgres, { type Sql } from 'postgres';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { createAuthService } from '../../src/auth';
import { startGateway } from '../../src/gateway/server';
import { findProjectRoot } from '../../src/config';
import { readKeys, type StackKeys } from '../../src/keys';
import { freePort } from '../../src/postgres';
import { readSupabaseConfig, type SupabaseConfig } from '../../src/supabase-config';
import '../../src/testing/stack-info';

export interface AuthTestStack {
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
  /** All of them, to sign tokens the way this gateway's Auth does (signJwt). */
  keys: StackKeys;
  /** Superuser pool for checking rows directly. */
  sql: Sql;
  close(): Promise<void>;
}

/** The process env minus the auth settings the tests pin, plus `overrides`. */
function testEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DEVSTACK_JWT_EXPIRY;
  delete env.DEVSTACK_REFRESH_TOKEN_REUSE_INTERVAL;
  return Object.assign(env, overrides);
}

/**
 * An auth service alone on a free port. Settings: the repository's
 * supabase/config.toml (or `config`), then the DEVSTACK_* `overrides`.
 */
export async function startAuthGateway(
  overrides: Record<string, string> = {},
  config: SupabaseConfig = readSupabaseConfig(findProjectRoot()),
): Promise<AuthTestStack> {
  const sql = postgres(inject('stack').dbUrl, { max: 4, onnotice: () => {} });
  const env = testEnv(overrides);
  const keys = await readKeys(env);
  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const gateway = await startGateway(port, [createAuthService({ sql, keys, apiUrl, env, config })]);
  return {
    url: gateway.url,
    anonKey: keys.anonKey,
    serviceRoleKey: keys.serviceRoleKey,
    jwtSecret: keys.jwtSecret,
    keys,
    sql,
    async close() {
      await gateway.close();
      await sql.end({ timeout: 2 });
    },
  };
}

export function anonClient(stack: AuthTestStack, auth: { autoRefreshToken?: boolean } = {}): SupabaseClient {
  return createClient(stack.url, stack.anonKey, {
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
    auth: { persistSession: false, autoRefreshToken: auth.autoRefreshToken ?? false, detectSessionInUrl: false },
  });
}

export function adminClient(stack: AuthTestStack): SupabaseClient {
  return createClient(stack.url, stack.serviceRoleKey, {
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}

/** A fresh address per test, so files running in parallel never collide. */
export function uniqueEmail(label: string): string {
  return `${label}.${randomUUID().slice(0, 8)}@auth-test.example.com`;
}

/** Signs up a new user through the client and returns its session. */
export async function signUpNew(client: SupabaseClient, label: string, password = 'correct-horse-1'): Promise<Session> {
  const { data, error } = await client.auth.signUp({ email: uniqueEmail(label), password });
  if (error || !data.session) throw new Error(`sign-up failed: ${error?.message ?? 'no session'}`);
  return data.session;
}

/** Raw call to the auth API (for status codes, headers and bodies the client hides). */
export async function authFetch(
  stack: AuthTestStack,
  path: string,
  init: { method?: string; token?: string; body?: string | object; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> | null }> {
  const response = await fetch(`${stack.url}/auth/v1${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      apikey: stack.anonKey,
      'content-type': 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
  };
}

/** Resolves with the next auth event of the given kind. */
export function nextAuthEvent(client: SupabaseClient, wanted: AuthChangeEvent): Promise<Session | null> {
  return new Promise((resolve) => {
    const { data } = client.auth.onAuthStateChange((event, session) => {
      if (event !== wanted) return;
      data.subscription.unsubscribe();
      resolve(session);
    });
  });
}

/** The decoded payload of a JWT (no verification: the server's answers are what the tests check). */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}
