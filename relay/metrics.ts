import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sql } from 'postgres';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { BatchReport, Relay } from './relay';

// Prometheus metrics of the outbox relay (npm run relay serves them on
// RELAY_METRICS_PORT at /metrics). The backlog is what to alert on: it grows
// when the provider refuses or the relay is down, and only this query sees
// the second case from the outside.

export interface RelayMetrics {
  registry: Registry;
  backlog: Gauge;
  published: Counter<'channel_kind'>;
  failures: Counter;
  lagSeconds: Gauge;
  deadLettered: Counter<'cause'>;
  deadLetters: Gauge;
}

export function createRelayMetrics(options: { defaultMetrics?: boolean } = {}): RelayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    backlog: new Gauge({
      name: 'switchboard_relay_backlog',
      help: 'Undelivered rows in public.realtime_outbox (due or waiting for a retry), sampled after each batch and when idle.',
      registers,
    }),
    published: new Counter({
      name: 'switchboard_relay_published_total',
      help: 'Outbox rows the provider accepted, by channel kind (depot, driver, …).',
      labelNames: ['channel_kind'],
      registers,
    }),
    failures: new Counter({
      name: 'switchboard_relay_failures_total',
      help: 'Publishes the provider refused or that failed in transit (each is retried with backoff).',
      registers,
    }),
    lagSeconds: new Gauge({
      name: 'switchboard_relay_lag_seconds',
      help: 'Commit-to-publish delay of the oldest row of the last batch that delivered anything.',
      registers,
    }),
    deadLettered: new Counter({
      name: 'switchboard_relay_dead_lettered_total',
      help: 'Outbox rows moved to realtime_outbox_dead_letters: cause="refused" (the provider refused them for good) or "attempts" (still failing after the last attempt).',
      labelNames: ['cause'],
      registers,
    }),
    deadLetters: new Gauge({
      name: 'switchboard_relay_dead_letters',
      help: 'Rows in public.realtime_outbox_dead_letters (waiting for a fix and npm run relay -- --retry-dead), sampled with the backlog.',
      registers,
    }),
  };
}

/** 'depot:3f…' → 'depot'; anything unexpected → 'other', so a label never holds an id. */
export function channelKind(channel: string): string {
  const kind = channel.split(':', 1)[0];
  return /^[a-z][a-z0-9_-]{0,31}$/.test(kind) && kind !== channel ? kind : 'other';
}

export interface RelayObserver {
  /** Resolves when the backlog sample in flight (if any) has been taken. */
  sampled(): Promise<void>;
  stop(): void;
}

/**
 * Feeds a relay's events into its metrics. The backlog is counted with one
 * query per batch or idle turn; a turn that comes while a count is running
 * shares the next one instead of piling up queries.
 */
export function observeRelay(
  relay: Relay,
  sql: Sql,
  metrics: RelayMetrics,
  onError: (err: unknown) => void,
): RelayObserver {
  let running: Promise<void> | null = null;
  let again = false;

  const count = async () => {
    const [{ backlog, dead }] = await sql<{ backlog: number; dead: number }[]>`
      select (select count(*)::int from public.realtime_outbox where delivered_at is null) as backlog,
             (select count(*)::int from public.realtime_outbox_dead_letters) as dead`;
    metrics.backlog.set(backlog);
    metrics.deadLetters.set(dead);
  };
  const sample = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = count()
      .catch(onError)
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          sample();
        }
      });
  };
  const onBatch = (report: BatchReport) => {
    for (const row of report.delivered) metrics.published.inc({ channel_kind: channelKind(row.channel) });
    const refused = report.deadLettered.filter((d) => d.permanent).length;
    const gaveUp = report.deadLettered.length - refused;
    // A dead-lettered row is a failed publish too.
    if (report.failed.length + report.deadLettered.length > 0)
      metrics.failures.inc(report.failed.length + report.deadLettered.length);
    if (refused > 0) metrics.deadLettered.inc({ cause: 'refused' }, refused);
    if (gaveUp > 0) metrics.deadLettered.inc({ cause: 'attempts' }, gaveUp);
    if (report.delivered.length > 0) metrics.lagSeconds.set(report.lagMs / 1000);
    sample();
  };
  relay.on('batch', onBatch);
  relay.on('idle', sample);
  return {
    async sampled() {
      while (running) await running;
    },
    stop() {
      relay.off('batch', onBatch);
      relay.off('idle', sample);
    },
  };
}

/** Serves GET /metrics on `port` (all interfaces, so a scraper outside the container reaches it). */
export async function serveRelayMetrics(
  registry: Registry,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: scrape GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: unknown) =>
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
