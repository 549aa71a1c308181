import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Sql } from 'postgres';
import type { StackKeys } from '../keys';
import type { Counter, Histogram } from 'prom-client';
import type { SupabaseConfig } from '../supabase-config';
import { defaultLogger, type Logger } from '../log-json';
import { applyApiKeys } from './api-keys';
import { applyCors, HttpError, sendJson } from './http';

export interface GatewayContext {
  sql: Sql;
  keys: StackKeys;
  /** Public URL of the gateway, e.g. http://127.0.0.1:54321 (GoTrue's issuer is <url>/auth/v1). */
  apiUrl: string;
  env: NodeJS.ProcessEnv;
  /** The project's supabase/config.toml settings; the services' DEVSTACK_* variables override them. */
  config: SupabaseConfig;
  /** The stack's logger; services log through serviceLogger(ctx, name). Default: defaultLogger(). */
  logger?: Logger;
}

/** The logger a service writes through: the stack's, with `service` set to its name. */
export function serviceLogger(ctx: Pick<GatewayContext, 'logger'>, service: string): Logger {
  return (ctx.logger ?? defaultLogger()).child({ service });
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
 * What the gateway records per request (switchboard_http_*). Declared here, not
 * imported from metrics.ts, so the gateway does not depend on the metrics module
 * (which depends on the gateway for its /metrics service).
 */
export interface GatewayMetrics {
  httpRequests: Pick<Counter<'service' | 'method' | 'status'>, 'inc'>;
  httpDuration: Pick<Histogram<'service'>, 'observe'>;
}

export interface GatewayOptions {
  /** Counts requests and their duration per service. */
  metrics?: GatewayMetrics;
  /** Where 5xx answers are logged (with their request id); default defaultLogger() as service "gateway". */
  logger?: Logger;
  /** Maps publishable / secret API keys to their JWTs before any service runs, as Kong does (./api-keys). */
  keys?: StackKeys;
}

/** A caller's x-request-id is kept when it is a sane token; anything else gets a fresh id. */
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** The request's path; null when req.url does not parse (route() then fails it as usual). */
function pathnameOf(req: IncomingMessage): string | null {
  try {
    return new URL(req.url ?? '/', 'http://gateway').pathname;
  } catch {
    return null;
  }
}

/** '/rest/v1' → 'rest': the service label of metrics and logs. */
const serviceName = (service: Service | undefined) => (service ? service.prefix.split('/')[1] || 'root' : 'none');

/**
 * One HTTP server on the Supabase CLI's API port, routing by prefix like Kong
 * does in front of GoTrue, PostgREST and Realtime. Every response carries an
 * x-request-id (the caller's, or a new one); 5xx answers are logged with it.
 */
export async function startGateway(
  port: number,
  services: Service[],
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  const { metrics, logger = defaultLogger().child({ service: 'gateway' }), keys } = options;
  const server = http.createServer((req, res) => {
    const started = performance.now();
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const service = findService(pathnameOf(req));
    let logged = false;
    // 'close' rather than 'finish': a response cut off mid-way is counted too.
    res.once('close', () => {
      const name = serviceName(service);
      metrics?.httpRequests.inc({ service: name, method: req.method ?? 'UNKNOWN', status: String(res.statusCode) });
      metrics?.httpDuration.observe({ service: name }, (performance.now() - started) / 1000);
      if (res.statusCode >= 500 && !logged) {
        logger.error('request failed', {
          service: name,
          request_id: requestId,
          method: req.method,
          path: req.url,
          status: res.statusCode,
        });
      }
    });
    void route(req, res, service).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (!res.headersSent) sendJson(res, err.status, err.body, err.headers);
        else res.destroy();
        return;
      }
      logged = true;
      logger.error('unhandled error', {
        service: serviceName(service),
        request_id: requestId,
        method: req.method,
        path: req.url,
        status: 500,
        err,
      });
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal server error' });
      else res.destroy();
    });
  });

  function findService(pathname: string | null): Service | undefined {
    if (pathname === null) return undefined;
    return services.find((s) => pathname === s.prefix || pathname.startsWith(`${s.prefix}/`));
  }

  async function route(req: IncomingMessage, res: ServerResponse, service: Service | undefined): Promise<void> {
    if (applyCors(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (service) {
      if (keys) applyApiKeys(req, url, keys);
      await service.handle(req, res, url.pathname.slice(service.prefix.length) || '/', url);
      return;
    }
    sendJson(res, 404, { message: 'no Route matched with those values' });
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const service = findService(url.pathname);
    if (!service?.upgrade) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    try {
      if (keys) applyApiKeys(req, url, keys);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const body = JSON.stringify(err.body);
      socket.end(
        `HTTP/1.1 ${err.status} Unauthorized\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
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
