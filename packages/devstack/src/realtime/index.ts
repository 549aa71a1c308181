import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { serviceLogger, type GatewayContext, type Service } from '../gateway/server';
import { HttpError, sendJson } from '../gateway/http';
import { tokenVerifier } from '../jwt';
import { createDevstackMetrics, type DevstackMetrics } from '../metrics';
import { Connection } from './connection';
import { readLimits, readReplicationRetryMs, VSN, type Vsn } from './constants';
import { RateWindow, type RealtimeContext } from './context';
import { deliverStoredBroadcast } from './extensions/db-broadcast';
import { PostgresChanges } from './extensions/postgres-changes';
import { databaseOf, ephemeralSlotName, persistentSlotName } from './extensions/postgres-changes/slot';
import { PresenceRegistry } from './extensions/presence';
import { TopicHub } from './hub';
import { maintainMessagePartitions, PARTITION_MAINTENANCE_MS } from './messages-partitions';
import { handleBroadcastRequest } from './rest';
import { verifyChannelToken } from './tokens';

export interface RealtimeService extends Service {
  /** Resolves when logical replication is streaming. */
  ready: Promise<void>;
  /** Live sockets (for tests and benchmarks). */
  connectionCount(): number;
  /** True while the replication stream is connected (false while Postgres restarts). */
  streaming(): boolean;
  /** Cuts every socket without a close frame, like a network outage (chaos and contract tests). */
  dropAllConnections(): void;
}

function rejectUpgrade(socket: Duplex, status: number, reason: string, error: string): void {
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * Supabase Realtime on the gateway: the Phoenix WebSocket at
 * /realtime/v1/websocket and the broadcast REST API at /realtime/v1/api.
 */
export function createRealtimeService(
  gateway: GatewayContext,
  options: {
    dbUrl: string;
    metrics?: DevstackMetrics;
    /** The database's persistent slot (the CLI), or one of this service's own, dropped on close (default). */
    persistentSlot?: boolean;
  },
): RealtimeService {
  const limits = readLimits(gateway.env, gateway.config.realtime);
  const connections = new Set<Connection>();
  const log = serviceLogger(gateway, 'realtime');
  const metrics = options.metrics ?? createDevstackMetrics();
  metrics.trackRealtime({
    connections: () => connections.size,
    channels: () => {
      let joined = 0;
      for (const connection of connections) joined += connection.channels.size;
      return joined;
    },
  });
  const ctx: RealtimeContext = {
    sql: gateway.sql,
    verifier: tokenVerifier(gateway.keys),
    limits,
    hub: new TopicHub(),
    presence: new PresenceRegistry(),
    changes: null as unknown as PostgresChanges,
    joinRate: new RateWindow(limits.maxJoinsPerSecond),
    eventRate: new RateWindow(limits.maxEventsPerSecond),
    activeSockets: new Set(),
    metrics,
    log,
  };
  const changes = new PostgresChanges({
    sql: gateway.sql,
    dbUrl: options.dbUrl,
    slot: options.persistentSlot ? persistentSlotName(databaseOf(options.dbUrl)) : ephemeralSlotName(),
    dropSlotOnClose: !options.persistentSlot,
    retryMs: readReplicationRetryMs(gateway.env),
    maxRecordBytes: limits.maxRecordBytes,
    onBroadcast: (m) => deliverStoredBroadcast(ctx, m),
    metrics,
    log,
    // The slot resumes where delivery stopped, so a Postgres restart loses
    // nothing. Only when the slot itself was gone (dropped by hand, or
    // invalidated for holding too much WAL) were changes never streamed: then
    // drop every socket, so clients rejoin and catch up from the record, as
    // they do when Supabase Realtime loses its database.
    onGap: () => {
      log.warn(
        'replication slot was lost and created again; disconnecting every socket so clients rejoin and catch up',
        {
          sockets: connections.size,
        },
      );
      for (const connection of connections) connection.terminate();
    },
  });
  ctx.changes = changes;
  // Partitions of realtime.messages ahead of time, old ones dropped, as Supabase's Realtime does.
  const maintainPartitions = () =>
    maintainMessagePartitions(gateway.sql, new Date(), log).catch((err: Error) =>
      log.warn('realtime.messages partition maintenance failed', { reason: err.message }),
    );
  const partitionTimer = setInterval(() => void maintainPartitions(), PARTITION_MAINTENANCE_MS);
  partitionTimer.unref();
  const ready = maintainPartitions().then(() => changes.start());

  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes, perMessageDeflate: false });
  const watchdog = setInterval(
    () => {
      const deadline = Date.now() - limits.heartbeatTimeoutMs;
      // A socket silent for a whole heartbeat window is gone (e.g. killed without a close frame).
      for (const connection of connections) if (connection.lastSeen < deadline) connection.terminate();
    },
    Math.min(1000, Math.max(50, limits.heartbeatTimeoutMs / 4)),
  );
  watchdog.unref();

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string, url: URL): Promise<void> {
    if (path !== '/websocket') return rejectUpgrade(socket, 404, 'Not Found', 'Not found');
    // Realtime's MAX_HEADER_LENGTH ([realtime] max_header_length) caps each header value.
    for (let i = 1; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i].length > limits.maxHeaderLength)
        return rejectUpgrade(
          socket,
          431,
          'Request Header Fields Too Large',
          `Header ${req.rawHeaders[i - 1]} is too long`,
        );
    }
    const header = req.headers['x-api-key'] ?? req.headers.apikey;
    const apiKey = (typeof header === 'string' ? header : null) ?? url.searchParams.get('apikey');
    if (!apiKey)
      return rejectUpgrade(
        socket,
        401,
        'Unauthorized',
        'No apikey provided: pass ?apikey=<anon key> or the x-api-key header',
      );
    const verified = await verifyChannelToken(apiKey, ctx.verifier);
    if (!verified.ok) return rejectUpgrade(socket, 401, 'Unauthorized', `${verified.code}: ${verified.message}`);
    const vsn = url.searchParams.get('vsn') ?? VSN.v1;
    if (vsn !== VSN.v1 && vsn !== VSN.v2)
      return rejectUpgrade(socket, 400, 'Bad Request', `Unsupported serializer version: ${vsn}`);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new Connection(ctx, ws, vsn as Vsn, apiKey);
      connections.add(connection);
      ws.on('close', () => connections.delete(connection));
    });
  }

  return {
    prefix: '/realtime/v1',
    ready,
    connectionCount: () => connections.size,
    streaming: () => changes.streaming(),
    dropAllConnections() {
      for (const connection of connections) connection.terminate();
    },
    async handle(req, res, path, url) {
      if (path.startsWith('/api/broadcast')) return handleBroadcastRequest(ctx, req, res, path, url);
      if (path === '/api/ping' || path === '/api/health') return sendJson(res, 200, { message: 'Success' });
      throw new HttpError(404, { message: 'Not found' });
    },
    upgrade(req, socket, head, path, url) {
      upgrade(req, socket, head, path, url).catch((err: unknown) => {
        log.error('upgrade failed', { err });
        rejectUpgrade(socket, 500, 'Internal Server Error', 'Internal server error');
      });
    },
    async close() {
      clearInterval(watchdog);
      clearInterval(partitionTimer);
      for (const connection of connections) connection.terminate();
      wss.close();
      await changes.close();
    },
  };
}
