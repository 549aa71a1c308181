import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Sql } from 'postgres';
import type { StackKeys } from '../keys';
import { applyCors, HttpError, sendJson } from './http';

export interface GatewayContext {
  sql: Sql;
  keys: StackKeys;
  /** Public URL of the gateway, e.g. http://127.0.0.1:54321 (GoTrue's issuer is <url>/auth/v1). */
  apiUrl: string;
  env: NodeJS.ProcessEnv;
}

/** Handles the part of the path after its service prefix ('/auth/v1', '/rest/v1', …). */
export type ServiceHandler = (req: IncomingMessage, res: ServerResponse, path: string, url: URL) => Promise<void>;

export interface Service {
  prefix: string;
  handle: ServiceHandler;
  /** Takes over an HTTP upgrade (WebSocket) under the prefix; path as for handle. */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, path: string, url: URL): void;
  close?(): Promise<void>;
}

export interface RunningGateway {
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

/**
 * One HTTP server on the Supabase CLI's API port, routing by prefix like Kong
 * does in front of GoTrue, PostgREST and Realtime.
 */
export async function startGateway(port: number, services: Service[]): Promise<RunningGateway> {
  const server = http.createServer((req, res) => {
    void route(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (!res.headersSent) sendJson(res, err.status, err.body, err.headers);
        else res.destroy();
        return;
      }
      console.error('[gateway] unhandled error', req.method, req.url, err);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal server error' });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (applyCors(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://gateway');
    for (const service of services) {
      if (url.pathname === service.prefix || url.pathname.startsWith(`${service.prefix}/`)) {
        await service.handle(req, res, url.pathname.slice(service.prefix.length) || '/', url);
        return;
      }
    }
    sendJson(res, 404, { message: 'no Route matched with those values' });
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const service = services.find((s) => url.pathname === s.prefix || url.pathname.startsWith(`${s.prefix}/`));
    if (!service?.upgrade) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    service.upgrade(req, socket, head, url.pathname.slice(service.prefix.length) || '/', url);
  });

  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    server,
    async close() {
      for (const service of services) await service.close?.();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
