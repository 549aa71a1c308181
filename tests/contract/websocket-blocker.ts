import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';

/**
 * What a network that blocks WebSockets looks like to a client: an HTTP
 * endpoint that refuses every upgrade with 403, as a filtering proxy does.
 * `transport` is a `ws` WebSocket class for supabase-js' `realtime.transport`
 * that, while `blocked` is true, opens its sockets against that endpoint
 * instead of the real server (REST and Auth are untouched).
 */
export async function startWebSocketBlocker(): Promise<{
  transport: new (address: string | URL, protocols?: string | string[]) => WebSocket;
  setBlocked(blocked: boolean): void;
  close(): Promise<void>;
}> {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (_req, socket) => {
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nWebSockets are blocked');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let blocked = false;

  class BlockableWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      const url = new URL(address);
      if (blocked) url.host = `127.0.0.1:${port}`;
      super(url, protocols);
    }
  }

  return {
    transport: BlockableWebSocket,
    setBlocked(value) {
      blocked = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
