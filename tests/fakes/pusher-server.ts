import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { PusherConnection } from './pusher/connection';
import { Hub, type AppCredentials } from './pusher/hub';
import { CLOSE, errorFrame, PROTOCOL_VERSION } from './pusher/protocol';
import { handleRest } from './pusher/rest';

// A Pusher Channels (protocol 7) test server: pusher-js connects to
// ws://host:port/app/<key>, the `pusher` Node SDK posts to
// http://host:port/apps/<id>/events. Test infrastructure only: one process,
// one app, no TLS, no webhooks, no encrypted channels, no user sign-in.

export { LIMITS } from './pusher/protocol';

export interface FakePusherOptions extends AppCredentials {
  /** Seconds the client may stay silent before pinging (sent in connection_established). */
  activityTimeoutSeconds?: number;
  port?: number;
}

export interface FakePusher {
  host: string;
  port: number;
  /** Drops every socket without a closing handshake, like a network outage. */
  dropAllConnections(): void;
  /** While false, new WebSocket upgrades are refused (the outage goes on). */
  setAcceptingConnections(accepting: boolean): void;
  /** Open sockets. */
  connectionCount(): number;
  /** Channel → subscriber count (for asserting one subscription per tab). */
  occupancy(): Record<string, number>;
  close(): Promise<void>;
}

export async function startFakePusher(options: FakePusherOptions): Promise<FakePusher> {
  const hub = new Hub({ appId: options.appId, key: options.key, secret: options.secret });
  const connections = new Set<PusherConnection>();
  let accepting = true;

  const http: Server = createServer((req, res) => {
    handleRest(hub, req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`Internal error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  const wss = new WebSocketServer({ noServer: true });

  http.on('upgrade', (req, socket, head) => {
    if (!accepting) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      // Pusher reports handshake failures as pusher:error, then closes with the same code.
      const reject = (code: number, message: string) => {
        ws.send(JSON.stringify(errorFrame(message, code)));
        ws.close(code, message);
      };
      const match = /^\/app\/([^/]+)$/.exec(url.pathname);
      if (!match) return reject(CLOSE.pathNotFound, `Path not found: ${url.pathname}`);
      if (match[1] !== options.key)
        return reject(
          CLOSE.appNotFound,
          `App key ${match[1]} not in this cluster. Did you forget to specify the cluster?`,
        );
      const protocol = url.searchParams.get('protocol');
      if (!protocol) return reject(CLOSE.noProtocol, 'No protocol version supplied');
      if (Number(protocol) < PROTOCOL_VERSION - 2 || Number(protocol) > PROTOCOL_VERSION)
        return reject(CLOSE.unsupportedProtocol, `Unsupported protocol version ${protocol}`);
      const connection = new PusherConnection(ws, hub, options.activityTimeoutSeconds ?? 120);
      connections.add(connection);
      ws.on('close', () => connections.delete(connection));
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    dropAllConnections() {
      for (const connection of connections) connection.terminate();
    },
    setAcceptingConnections(value) {
      accepting = value;
    },
    connectionCount: () => connections.size,
    occupancy: () => hub.occupancy(),
    async close() {
      for (const connection of connections) connection.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
