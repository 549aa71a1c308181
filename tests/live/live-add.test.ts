// @vitest-environment jsdom
// `npm run live:add`: for a new table, the generator's output (migration, zod
// schema, hooks) applies, type-checks with the app's compiler settings, and the
// generated list and update hooks work in React against a dev stack (real
// Auth, REST and Realtime; the browser Supabase client over a real socket).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook, waitFor } from '@testing-library/react';
import { createElement, type ReactNode } from 'react';
import ts from 'typescript';
import { WebSocket as NodeWebSocket } from 'ws';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateTypes } from '@switchboard/devstack';
import { liveAdd } from '../../scripts/live-add';
import { names } from '../../scripts/live-add/render';
import { connect, DEPOT } from '../support/db';

const ROOT = path.join(import.meta.dirname, '..', '..');
// The test's own table on the shared test stack (whose API runs in the main
// process: this file's jsdom globals would confuse the servers' crypto).
const TABLE = `gen_parcels_${process.pid}`;
const OUT = path.join(import.meta.dirname, '.generated', String(process.pid));

let sql: Sql;
let tmp: string;
let written: string[] = [];

beforeAll(async () => {
  sql = connect(2);
  await sql.unsafe(`
    create table public.${TABLE} (
      id uuid primary key default gen_random_uuid(),
      depot_id uuid not null references public.depots (id),
      label text not null,
      status public.shipment_status not null default 'pending',
      weight_kg double precision,
      tags text[] not null default '{}',
      meta jsonb,
      fragile boolean not null default false
    );
    alter table public.${TABLE} enable row level security;
    create policy "Members use parcels of their depots" on public.${TABLE} for all to authenticated
      using ((select public.is_depot_member(depot_id))) with check ((select public.is_depot_member(depot_id)));`);
  await sql.unsafe(`insert into public.${TABLE} (depot_id, label) values ($1, 'first')`, [DEPOT.north]);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'live-add-'));
  const typesFile = path.join(tmp, 'database.types.ts');
  await writeFile(typesFile, await generateTypes(inject('stack').dbUrl));
  written = await liveAdd({
    table: TABLE,
    scope: 'depot_id',
    typesFile,
    libDir: path.join(OUT, 'lib'),
    migrationsDir: path.join(OUT, 'migrations'),
    now: new Date('2026-12-24T10:00:00Z'),
  });
}, 90_000);

afterAll(async () => {
  await sql?.unsafe(`select live.unpublish('public.${TABLE}'); drop table if exists public.${TABLE};`);
  await sql?.end();
  await rm(OUT, { recursive: true, force: true });
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('npm run live:add', () => {
  it('writes the migration, the schema and the hooks', async () => {
    expect(written.map((f) => path.relative(OUT, f))).toEqual([
      `migrations/20261224100000_live_${TABLE}.sql`,
      `lib/${TABLE}/schema.ts`,
      `lib/${TABLE}/hooks.ts`,
    ]);
    const migration = await readFile(written[0], 'utf8');
    expect(migration).toContain(`select live.publish('public.${TABLE}', 'depot_id');`);
    const schema = await readFile(written[1], 'utf8');
    for (const field of [
      `status: z.enum(["pending", "assigned", "picked_up", "in_transit", "delivered", "failed", "cancelled"])`,
      'weight_kg: z.number().nullable()',
      'tags: z.array(z.string())',
      'meta: z.json().nullable()',
      'fragile: z.boolean()',
      'version: z.number().int().positive()',
    ]) {
      expect(schema).toContain(field);
    }
    // Applying the migration makes the table live.
    await sql.unsafe(migration);
    const [registered] = await sql`select scope_column from live.tables where table_name = ${TABLE}`;
    expect(registered).toEqual({ scope_column: 'depot_id' });
  });

  it('type-checks with the app compiler settings', () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      path.join(ROOT, 'tsconfig.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    )!;
    const program = ts.createProgram(written.slice(1), { ...config.options, incremental: false, noEmit: true });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  }, 60_000);

  it('its list hook shows the rows and follows live changes; its update hook writes version-guarded', async () => {
    // jsdom's WebSocket (undici's) trips over jsdom's Event class in Node 20; use ws, a real socket all the same.
    globalThis.WebSocket = NodeWebSocket as unknown as typeof WebSocket;
    process.env.NEXT_PUBLIC_SUPABASE_URL = inject('stack').apiUrl;
    process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY = inject('stack').anonKey;
    const { createClient } = await import('../../lib/supabase/client');
    const { error } = await createClient().auth.signInWithPassword({
      // A demo account (supabase/seed.sql): the test adds no people to the shared database.
      email: 'dispatcher.north@example.com',
      password: 'password123',
    });
    expect(error).toBeNull();
    type ListHook = (scope: string) => {
      data?: { watermark: number | null; rows: { id: string; label: string; version: number }[] };
    };
    type UpdateHook = () => {
      mutateAsync: (v: { row: unknown; patch: Record<string, unknown> }) => Promise<{ version: number }>;
    };
    const hooks = (await import(/* @vite-ignore */ written[2])) as Record<string, unknown>;
    const { pascal } = names(TABLE);
    const useList = hooks[`use${pascal}List`] as ListHook;
    const useUpdate = hooks[`useUpdate${pascal}`] as UpdateHook;
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const wrapper = ({ children }: { children: ReactNode }) =>
      createElement(QueryClientProvider, { client: queryClient }, children);
    const { result, unmount } = renderHook(() => ({ list: useList(DEPOT.north), update: useUpdate() }), { wrapper });
    await waitFor(() => expect(result.current.list.data?.rows.map((r) => r.label)).toEqual(['first']), {
      timeout: 15_000,
    });

    // A change committed elsewhere arrives live (seq feed + merge).
    await sql.unsafe(`insert into public.${TABLE} (depot_id, label) values ($1, 'second')`, [DEPOT.north]);
    await waitFor(
      () => expect(result.current.list.data?.rows.map((r) => r.label).sort()).toEqual(['first', 'second']),
      { timeout: 15_000 },
    );
    const [{ last_seq }] = await sql`
      select last_seq::int from live.watermarks where table_name = ${TABLE} and scope = ${DEPOT.north}`;
    await waitFor(() => expect(result.current.list.data?.watermark).toBe(last_seq), { timeout: 15_000 });

    // The generated update hook: version-guarded, and a stale version is refused with the database's state.
    const first = result.current.list.data!.rows.find((r) => r.label === 'first')!;
    await act(async () => {
      await result.current.update.mutateAsync({ row: first, patch: { label: 'renamed' } });
    });
    await waitFor(() =>
      expect(result.current.list.data?.rows.find((r) => r.id === first.id)).toMatchObject({
        label: 'renamed',
        version: first.version + 1,
      }),
    );
    await act(async () => {
      await expect(result.current.update.mutateAsync({ row: first, patch: { label: 'stale' } })).rejects.toMatchObject({
        kind: 'conflict',
      });
    });
    // Rolled back to what the database holds, not to what the person first saw.
    await waitFor(() =>
      expect(result.current.list.data?.rows.find((r) => r.id === first.id)).toMatchObject({
        label: 'renamed',
        version: first.version + 1,
      }),
    );
    unmount();
    await createClient().removeAllChannels();
    createClient().realtime.disconnect();
  }, 60_000);
});
