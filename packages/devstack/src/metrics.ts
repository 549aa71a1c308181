import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Service } from './gateway/server';
import { EVENTS, PHOENIX_TOPIC } from './realtime/constants';

// Prometheus metrics of one dev stack (GET /metrics on the gateway). Each
// startApi gets a Registry of its own, never prom-client's global one, so a
// test process can run several stacks and read counts that are its own.

/** What a realtime frame is, for switchboard_realtime_messages_total{type}. */
export type RealtimeMessageType =
  | 'heartbeat'
  | 'join'
  | 'leave'
  | 'access_token'
  | 'broadcast'
  | 'presence'
  | 'postgres_changes'
  | 'system'
  | 'reply'
  | 'close'
  | 'error'
  | 'invalid'
  | 'other';

export interface RealtimeGaugeSource {
  connections(): number;
  channels(): number;
}

export interface DevstackMetrics {
  registry: Registry;
  httpRequests: Counter<'service' | 'method' | 'status'>;
  httpDuration: Histogram<'service'>;
  realtimeJoins: Counter<'result'>;
  realtimeMessages: Counter<'direction' | 'type'>;
  rlsCheckSeconds: Histogram;
  replicationLagSeconds: Gauge;
  /** Where the connection and channel gauges read their values at scrape time. */
  trackRealtime(source: RealtimeGaugeSource): void;
}

export function createDevstackMetrics(): DevstackMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let realtime: RealtimeGaugeSource = { connections: () => 0, channels: () => 0 };
  const registers = [registry];
  new Gauge({
    name: 'switchboard_realtime_connections',
    help: 'Open realtime WebSocket connections.',
    registers,
    collect() {
      this.set(realtime.connections());
    },
  });
  new Gauge({
    name: 'switchboard_realtime_channels',
    help: 'Channels joined across all realtime connections (one socket joining three topics counts three).',
    registers,
    collect() {
      this.set(realtime.channels());
    },
  });
  return {
    registry,
    httpRequests: new Counter({
      name: 'switchboard_http_requests_total',
      help: 'HTTP requests answered by the gateway, by service (auth, rest, realtime, metrics, none), method and status.',
      labelNames: ['service', 'method', 'status'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'switchboard_http_request_duration_seconds',
      help: 'Time from request to the last byte of the response, by service.',
      labelNames: ['service'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    realtimeJoins: new Counter({
      name: 'switchboard_realtime_joins_total',
      help: 'Channel joins (phx_join) by result: ok, or error (refused: token, policy, limits, bad topic).',
      labelNames: ['result'],
      registers,
    }),
    realtimeMessages: new Counter({
      name: 'switchboard_realtime_messages_total',
      help: 'Realtime frames received (in) and sent (out), by type.',
      labelNames: ['direction', 'type'],
      registers,
    }),
    rlsCheckSeconds: new Histogram({
      name: 'switchboard_realtime_rls_check_seconds',
      help: 'Duration of one batched RLS visibility check of Postgres Changes (one round trip for all subscribers of a batch).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    replicationLagSeconds: new Gauge({
      name: 'switchboard_realtime_replication_lag_seconds',
      help: 'Commit-to-delivery delay of the last decoded transaction: now minus its commit timestamp, taken after its changes were checked and sent.',
      registers,
    }),
    trackRealtime(source) {
      realtime = source;
    },
  };
}

/** The type label of a frame, from its topic and event. */
export function realtimeMessageType(topic: string, event: string): RealtimeMessageType {
  if (topic === PHOENIX_TOPIC) return 'heartbeat';
  switch (event) {
    case EVENTS.join:
      return 'join';
    case EVENTS.leave:
      return 'leave';
    case EVENTS.accessToken:
      return 'access_token';
    case EVENTS.broadcast:
      return 'broadcast';
    case EVENTS.presence:
    case EVENTS.presenceState:
    case EVENTS.presenceDiff:
      return 'presence';
    case EVENTS.postgresChanges:
      return 'postgres_changes';
    case EVENTS.system:
      return 'system';
    case EVENTS.reply:
      return 'reply';
    case EVENTS.close:
      return 'close';
    case EVENTS.error:
      return 'error';
    default:
      return 'other';
  }
}

/** GET /metrics on the gateway: the registry in Prometheus' text format. */
export function metricsService(registry: Registry): Service {
  return {
    prefix: '/metrics',
    async handle(req, res, path) {
      if (path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Not found: scrape GET /metrics\n');
        return;
      }
      const body = await registry.metrics();
      res.writeHead(200, {
        'content-type': registry.contentType,
        'content-length': Buffer.byteLength(body).toString(),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  };
}
