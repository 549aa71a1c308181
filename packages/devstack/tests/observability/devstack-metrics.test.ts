// GET /metrics and request ids on a private gateway of this file's own (same
// test database), so every count read here was caused by this file.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApi, type RunningApi } from '../../src/api';
import { freePort } from '../../src/postgres';
import { connect } from '../support/fixture';
import { closeClients, Inbox, mintToken, realtimeClient, subscribed } from '../../src/testing/realtime';
import { declares, metricValue } from '../../src/testing/prometheus-text';

const sql = connect(2);
const schema = `obs_${process.pid}`;
let api: RunningApi;
const logLines: string[] = [];

async function scrape(): Promise<{ text: string; contentType: string | null }> {
  const res = await fetch(`${api.url}/metrics`);
  expect(res.status).toBe(200);
  return { text: await res.text(), contentType: res.headers.get('content-type') };
}

beforeAll(async () => {
  api = await startApi({
    dbUrl: inject('stack').dbUrl,
    port: await freePort(),
    // The test stack's keys: tokens minted for it (mintToken) are valid here too.
    keys: inject('stack').keys,
    env: { ...process.env, DEVSTACK_LOG_FORMAT: 'json' },
    logSink: (line) => logLines.push(line),
  });
  await sql.unsafe(`
    create schema ${schema};
    grant usage on schema ${schema} to authenticated;
    create table ${schema}.notes (id uuid primary key default gen_random_uuid(), owner uuid not null, body text not null);
    alter table ${schema}.notes enable row level security;
    grant select on ${schema}.notes to authenticated;
    create policy "Owners can read their notes" on ${schema}.notes for select to authenticated using (owner = (select auth.uid()));
    alter publication supabase_realtime add table ${schema}.notes;`);
});

afterAll(async () => {
  await closeClients();
  await api?.close();
  await sql.unsafe(`alter publication supabase_realtime drop table ${schema}.notes; drop schema ${schema} cascade;`);
  await sql.end();
});

describe('dev stack /metrics', () => {
  it('serves the Prometheus text format with the stack metrics and Node process metrics', async () => {
    const { text, contentType } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(declares(text, 'switchboard_http_requests_total', 'counter')).toBe(true);
    expect(declares(text, 'switchboard_http_request_duration_seconds', 'histogram')).toBe(true);
    expect(declares(text, 'switchboard_realtime_connections', 'gauge')).toBe(true);
    expect(declares(text, 'switchboard_realtime_channels', 'gauge')).toBe(true);
    expect(declares(text, 'switchboard_realtime_rls_check_seconds', 'histogram')).toBe(true);
    expect(declares(text, 'switchboard_realtime_replication_lag_seconds', 'gauge')).toBe(true);
    expect(declares(text, 'process_cpu_seconds_total', 'counter')).toBe(true);
    expect(declares(text, 'nodejs_eventloop_lag_seconds', 'gauge')).toBe(true);
  });

  it('counts REST requests by service, method and status, and times them', async () => {
    const { anonKey } = inject('stack');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${api.url}/rest/v1/depots?select=id&limit=1`, { headers: { apikey: anonKey } });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    const missing = await fetch(`${api.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(new Set(statuses).size).toBe(1);

    const { text } = await scrape();
    expect(
      metricValue(text, 'switchboard_http_requests_total', {
        service: 'rest',
        method: 'GET',
        status: String(statuses[0]),
      }),
    ).toBe(3);
    expect(
      metricValue(text, 'switchboard_http_requests_total', { service: 'none', method: 'GET', status: '404' }),
    ).toBe(1);
    expect(metricValue(text, 'switchboard_http_request_duration_seconds_count', { service: 'rest' })).toBe(3);
    expect(metricValue(text, 'switchboard_http_request_duration_seconds_sum', { service: 'rest' })).toBeGreaterThan(0);
  });

  it('echoes an incoming x-request-id and assigns one otherwise', async () => {
    const given = `test-${randomUUID()}`;
    const echoed = await fetch(`${api.url}/auth/v1/health`, { headers: { 'x-request-id': given } });
    expect(echoed.headers.get('x-request-id')).toBe(given);
    const assigned = await fetch(`${api.url}/auth/v1/health`);
    expect(assigned.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // Not a header to copy into logs verbatim: replaced, not echoed.
    const hostile = await fetch(`${api.url}/auth/v1/health`, { headers: { 'x-request-id': 'a b"c' } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // Nothing failed, so nothing was logged.
    expect(logLines).toEqual([]);
  });

  it('counts realtime connections, channels, joins and broadcast messages in and out', async () => {
    const client = await realtimeClient({ apiUrl: api.url });
    const inbox = new Inbox<unknown>();
    const channel = client
      .channel(`obs-${randomUUID()}`, { config: { broadcast: { self: true } } })
      .on('broadcast', { event: 'ping' }, (m) => inbox.push(m));
    await subscribed(channel);
    expect(await channel.send({ type: 'broadcast', event: 'ping', payload: { n: 1 } })).toBe('ok');
    await inbox.next();

    const { text } = await scrape();
    expect(metricValue(text, 'switchboard_realtime_connections')).toBe(1);
    expect(metricValue(text, 'switchboard_realtime_channels')).toBe(1);
    expect(metricValue(text, 'switchboard_realtime_joins_total', { result: 'ok' })).toBe(1);
    expect(metricValue(text, 'switchboard_realtime_joins_total', { result: 'error' })).toBe(0);
    expect(metricValue(text, 'switchboard_realtime_messages_total', { direction: 'in', type: 'join' })).toBe(1);
    expect(metricValue(text, 'switchboard_realtime_messages_total', { direction: 'in', type: 'broadcast' })).toBe(1);
    expect(metricValue(text, 'switchboard_realtime_messages_total', { direction: 'out', type: 'broadcast' })).toBe(1);
    expect(
      metricValue(text, 'switchboard_realtime_messages_total', { direction: 'out', type: 'reply' }),
    ).toBeGreaterThanOrEqual(1);

    await client.removeAllChannels();
    client.realtime.disconnect();
    await expect.poll(async () => metricValue((await scrape()).text, 'switchboard_realtime_connections')).toBe(0);
  });

  it('times the batched RLS check and reports replication lag for a delivered Postgres change', async () => {
    const before = (await scrape()).text;
    expect(metricValue(before, 'switchboard_realtime_rls_check_seconds_count')).toBe(0);

    const owner = randomUUID();
    const client = await realtimeClient({ apiUrl: api.url, token: await mintToken({ sub: owner }) });
    const changes = new Inbox<{ id: string }>();
    const system = new Inbox<{ extension: string; status: string }>();
    const channel = client
      .channel(`obs-changes-${owner}`)
      .on('postgres_changes', { event: 'INSERT', schema, table: 'notes' }, (p) => changes.push(p.new as { id: string }))
      .on('system', {}, (m: { extension: string; status: string }) => system.push(m));
    await subscribed(channel);
    expect(await system.next((m) => m.extension === 'postgres_changes')).toMatchObject({ status: 'ok' });

    const [mine] = await sql.unsafe<{ id: string }[]>(
      `insert into ${schema}.notes (owner, body) values ($1, 'visible') returning id`,
      [owner],
    );
    await sql.unsafe(`insert into ${schema}.notes (owner, body) values ($1, 'hidden')`, [randomUUID()]);
    expect((await changes.next()).id).toBe(mine.id);

    const { text } = await scrape();
    expect(
      metricValue(text, 'switchboard_realtime_messages_total', { direction: 'out', type: 'postgres_changes' }),
    ).toBe(1);
    expect(
      metricValue(text, 'switchboard_realtime_messages_total', { direction: 'out', type: 'system' }),
    ).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'switchboard_realtime_rls_check_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'switchboard_realtime_rls_check_seconds_sum')).toBeGreaterThan(0);
    // Other files commit on the same database, so the last transaction may not be ours: a bound, not an exact value.
    const lag = metricValue(text, 'switchboard_realtime_replication_lag_seconds');
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(10);
  });
});
