import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { Authority, isWireError, parseApiKey, type Grant } from './ably/auth';
import { ChannelHub, type PresenceMember } from './ably/channels';
import { Connection } from './ably/connection';
import { ACTION, LIMITS, wireError, type WireError } from './ably/protocol';
import { handleRest } from './ably/rest';

// A test server that speaks Ably's realtime protocol (JSON format) and the REST
// calls the SDKs make, so the official `ably` Realtime and Rest clients run
// against it unmodified. Client options:
//   { endpoint: host, port, tls: false, useBinaryProtocol: false,
//     fallbackHosts: [], disableConnectivityCheck: true }
// Layout: ably/protocol (wire format, limits), ably/auth (keys, tokens, JWTs,
// capabilities), ably/channels (attachments, presence, fan-out),
// ably/connection (one socket), ably/rest (HTTP).

export interface FakeAblyOptions {
  /** The app's key, "appId.keyId:secret". */
  apiKey: string;
  host?: string;
  port?: number;
  /** Advertised connectionStateTtl (Ably: 2 minutes); short values let tests reach `suspended`. */
  connectionStateTtlMs?: number;
}

export interface FakeAbly {
  host: string;
  port: number;
  /** Drops every socket abruptly (no CLOSE), as a network failure would. */
  dropAllConnections(): void;
  /** While true, new sockets are cut at the upgrade, as if the service were unreachable. */
  refuseConnections(refuse: boolean): void;
  /** Connections currently open. */
  connectionCount(): number;
  /** Connections attached to a channel. */
  attachments(channel: string): number;
  /** The channel's presence set. */
  presenceMembers(channel: string): PresenceMember[];
  close(): Promise<void>;
}

async function grantFor(url: URL, authority: Authority): Promise<Grant | WireError> {
  const token = url.searchParams.get('access_token');
  const key = url.searchParams.get('key');
  if (token) return authority.grantForToken(token);
  if (key) return authority.grantForKey(key);
  return wireError('unauthorized', 'No key or access_token given');
}

export async function startFakeAbly(options: FakeAblyOptions): Promise<FakeAbly> {
  const authority = new Authority(parseApiKey(options.apiKey));
  const hub = new ChannelHub();
  const connections = new Set<Connection>();
  let refusing = false;

  const http = createServer((req, res) => void handleRest(req, res, authority, hub));
  const wss = new WebSocketServer({ noServer: true });

  const accept = async (socket: WebSocket, req: IncomingMessage) => {
    const url = new URL(req.url ?? '/', 'http://fake-ably');
    const refuse = (error: WireError) => {
      socket.send(JSON.stringify({ action: ACTION.ERROR, error }));
      socket.close();
    };
    if (url.searchParams.get('format') === 'msgpack')
      return refuse(wireError('badRequest', 'This fake speaks format=json only: set useBinaryProtocol: false'));
    const grant = await grantFor(url, authority);
    if (isWireError(grant)) return refuse(grant);
    const requestedClientId = url.searchParams.get('clientId');
    if (requestedClientId && grant.clientId !== '*' && grant.clientId !== requestedClientId) {
      return refuse(
        wireError(
          'incompatibleClientId',
          `clientId ${requestedClientId} does not match the credentials' ${grant.clientId ?? '(none)'}`,
        ),
      );
    }
    const effective = requestedClientId && grant.clientId === '*' ? { ...grant, clientId: requestedClientId } : grant;
    const connection = new Connection(
      socket,
      hub,
      authority,
      {
        grant: effective,
        echo: url.searchParams.get('echo') !== 'false',
        heartbeats: url.searchParams.get('heartbeats') === 'true',
        resumeKey: url.searchParams.get('resume'),
        connectionStateTtlMs: options.connectionStateTtlMs ?? LIMITS.connectionStateTtlMs,
      },
      (gone) => connections.delete(gone),
    );
    connections.add(connection);
  };

  http.on('upgrade', (req, socket, head) => {
    if (refusing) return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => void accept(ws, req));
  });

  await new Promise<void>((resolve) => http.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const address = http.address() as AddressInfo;

  return {
    host: options.host ?? '127.0.0.1',
    port: address.port,
    dropAllConnections() {
      for (const connection of [...connections]) connection.terminate();
    },
    refuseConnections(refuse) {
      refusing = refuse;
    },
    connectionCount: () => connections.size,
    attachments: (channel) => hub.attachedCount(channel),
    presenceMembers: (channel) => hub.members(channel),
    async close() {
      for (const connection of [...connections]) connection.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve, reject) => http.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
