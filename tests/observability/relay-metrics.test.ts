// Relay metrics after a delivered batch and after a failed publish. The relay
// runs against a database of this file's own holding only the outbox table
// (taken from the migration): relays share one advisory lock per database,
// and a second relay on the test database would take other files' rows.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createRelayMetrics,
  observeRelay,
  serveRelayMetrics,
  channelKind,
  type RelayObserver,
} from '../../relay/metrics';
import { silentLogger } from '../../relay/log';
import { Relay, type BatchReport } from '../../relay/relay';
import { FakePublisher } from '../relay/fake-publisher';
import { declares, metricValue } from '@switchboard/devstack/testing';

const admin = postgres(inject('stack').dbUrl, { max: 1, onnotice: () => {} });
const dbName = `relay_metrics_${process.pid}_${Date.now()}`;
let sql: Sql;
const fake = new FakePublisher();
const metrics = createRelayMetrics({ defaultMetrics: false });
const stop = new AbortController();
let relay: Relay;
let observer: RelayObserver;
let done: Promise<void>;
const errors: unknown[] = [];

beforeAll(async () => {
  const migration = await readFile('supabase/migrations/20261128000800_realtime_outbox.sql', 'utf8');
  const table = /create table public\.realtime_outbox \([\s\S]*?\n\);/.exec(migration)?.[0];
  if (!table) throw new Error('realtime_outbox table not found in its migration');
  const deadLetters = /create table public\.realtime_outbox_dead_letters \([\s\S]*?\n\);/.exec(
    await readFile('supabase/migrations/20261205000100_realtime_outbox_dead_letters.sql', 'utf8'),
  )?.[0];
  if (!deadLetters) throw new Error('realtime_outbox_dead_letters table not found in its migration');
  await admin.unsafe(`create database ${dbName}`);
  const url = new URL(inject('stack').dbUrl);
  url.pathname = `/${dbName}`;
  sql = postgres(url.toString(), { max: 4, onnotice: () => {} });
  await sql.unsafe(table);
  await sql.unsafe(deadLetters);
  relay = new Relay({
    sql,
    publisher: fake.as('metrics'),
    logger: silentLogger,
    pollIntervalMs: 60_000,
    backoff: { baseMs: 60_000, maxMs: 60_000 },
  });
  observer = observeRelay(relay, sql, metrics, (err) => errors.push(err));
  const active = once(relay, 'active');
  done = relay.run(stop.signal);
  await active;
});

afterAll(async () => {
  stop.abort();
  await done?.catch(() => {});
  observer?.stop();
  await sql?.end();
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.end();
});

/** Inserts outbox rows committed `agoMs` before now, wakes the relay and resolves with the batch that handled them. */
async function enqueue(rows: Array<{ channel: string; seq: number }>, agoMs = 0): Promise<BatchReport> {
  const batch = new Promise<BatchReport>((resolve) => {
    const onBatch = (report: BatchReport) => {
      if (report.delivered.length + report.failed.length === 0) return;
      relay.off('batch', onBatch);
      resolve(report);
    };
    relay.on('batch', onBatch);
  });
  await sql.begin(async (tx) => {
    for (const row of rows) {
      await tx`insert into public.realtime_outbox (channel, event, payload, seq, created_at)
               values (${row.channel}, 'changed', ${tx.json({ seq: row.seq })}, ${row.seq}, now() - make_interval(secs => ${agoMs / 1000}))`;
    }
    await tx`select pg_notify('realtime_outbox', '')`;
  });
  return batch;
}

const scrape = () => metrics.registry.metrics();

describe('relay metrics', () => {
  it('counts published rows by channel kind, the lag of the batch and the backlog after it', async () => {
    const report = await enqueue(
      [
        { channel: 'depot:a', seq: 1 },
        { channel: 'depot:a', seq: 2 },
        { channel: 'depot:a', seq: 3 },
        { channel: 'driver:b', seq: 1 },
        { channel: 'driver:b', seq: 2 },
      ],
      5_000,
    );
    expect(report.delivered).toHaveLength(5);
    await observer.sampled();
    const text = await scrape();
    expect(metricValue(text, 'switchboard_relay_published_total', { channel_kind: 'depot' })).toBe(3);
    expect(metricValue(text, 'switchboard_relay_published_total', { channel_kind: 'driver' })).toBe(2);
    expect(metricValue(text, 'switchboard_relay_failures_total')).toBe(0);
    expect(metricValue(text, 'switchboard_relay_backlog')).toBe(0);
    const lag = metricValue(text, 'switchboard_relay_lag_seconds');
    expect(lag).toBeGreaterThanOrEqual(5);
    expect(lag).toBeLessThan(60);
    expect(errors).toEqual([]);
  });

  it('counts a failed publish and keeps the failed row and the one behind it in the backlog', async () => {
    const allow = fake.failChannel('depot:c', 'provider unavailable');
    try {
      const report = await enqueue([
        { channel: 'depot:c', seq: 1 },
        { channel: 'depot:c', seq: 2 },
      ]);
      expect(report.failed).toHaveLength(1);
      await observer.sampled();
      const text = await scrape();
      expect(metricValue(text, 'switchboard_relay_failures_total')).toBe(1);
      expect(metricValue(text, 'switchboard_relay_backlog')).toBe(2);
      expect(metricValue(text, 'switchboard_relay_published_total', { channel_kind: 'depot' })).toBe(3);
      expect(errors).toEqual([]);
    } finally {
      allow();
    }
  });

  it('serves GET /metrics over HTTP and nothing else', async () => {
    const server = await serveRelayMetrics(metrics.registry, 0);
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(declares(text, 'switchboard_relay_backlog', 'gauge')).toBe(true);
      expect(declares(text, 'switchboard_relay_failures_total', 'counter')).toBe(true);
      expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('labels channels by kind, never by id', () => {
    expect(channelKind('depot:3f2a')).toBe('depot');
    expect(channelKind('driver:9c')).toBe('driver');
    expect(channelKind('no-kind')).toBe('other');
    expect(channelKind('Weird Kind:1')).toBe('other');
  });
});
