// lib/supabase/admin.ts: the server-side client with elevated access, built
// from SUPABASE_SECRET_KEY, else the legacy SUPABASE_SERVICE_ROLE_KEY, against
// the test stack. It bypasses RLS (the seed's 60 shipments are all visible)
// and reaches the Auth admin API; without a secret key it refuses to start.
import { stack } from '@switchboard/devstack/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createAdminClient } from '../../lib/supabase/admin';
import { DEPOT } from '../support/seed-ids';

// Next's server gives supabase-js a WebSocket; plain Node 20 has none (see ENVIRONMENT.md).
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket;

beforeAll(() => {
  process.env.NEXT_PUBLIC_SUPABASE_URL = stack().apiUrl;
  process.env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY = stack().publishableKey;
});
afterEach(() => {
  delete process.env.SUPABASE_SECRET_KEY;
  delete process.env.SUPABASE_SERVICE_ROLE_KEY;
});

async function seedShipmentsSeen(): Promise<number | null> {
  const admin = createAdminClient();
  const { count, error } = await admin
    .from('shipments')
    .select('id', { count: 'exact', head: true })
    .in('depot_id', [DEPOT.north, DEPOT.south])
    .or('reference.like.NOR-*,reference.like.SOU-*');
  expect(error).toBeNull();
  const users = await admin.auth.admin.listUsers({ perPage: 1 });
  expect(users.error).toBeNull();
  return count;
}

describe('createAdminClient', () => {
  it('uses SUPABASE_SECRET_KEY: RLS does not apply and the Auth admin API answers', async () => {
    process.env.SUPABASE_SECRET_KEY = stack().secretKey;
    process.env.SUPABASE_SERVICE_ROLE_KEY = 'not used while SUPABASE_SECRET_KEY is set';
    expect(await seedShipmentsSeen()).toBe(60);
  });

  it('falls back to the legacy SUPABASE_SERVICE_ROLE_KEY', async () => {
    process.env.SUPABASE_SERVICE_ROLE_KEY = stack().serviceRoleKey;
    expect(await seedShipmentsSeen()).toBe(60);
  });

  it('refuses to start without a secret key, or with the publishable key', () => {
    expect(() => createAdminClient()).toThrow(
      /SUPABASE_SECRET_KEY is not set \(nor the legacy SUPABASE_SERVICE_ROLE_KEY\)/,
    );
    process.env.SUPABASE_SECRET_KEY = stack().publishableKey;
    expect(() => createAdminClient()).toThrow(/SUPABASE_SECRET_KEY holds the publishable key/);
  });
});
