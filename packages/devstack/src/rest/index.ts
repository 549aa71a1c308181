// The REST service (/rest/v1): PostgREST's API over the `public` schema, for
// what @supabase/postgrest-js sends. Each request runs in one transaction as
// the JWT's role, so row-level security decides what it sees and changes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tokenVerifier } from '../jwt';
import { serviceLogger, type GatewayContext, type Service } from '../gateway/server';
import type { Logger } from '../log-json';
import { identify, isAnonymous, type RequestIdentity } from './auth';
import { readRestConfig } from './config';
import type { RequestContext } from './context';
import { fromPgError, isPgError, RestError, tableNotFound } from './errors';
import { requestSettings } from './execute';
import { callFunction } from './handlers/rpc';
import { readTable } from './handlers/read';
import { writeTable } from './handlers/write';
import { checkProfile, negotiateMedia, parsePrefer } from './headers';
import { send, sendError } from './response';
import { SchemaCache } from './schema/cache';

type Route = { kind: 'root' } | { kind: 'table'; name: string } | { kind: 'rpc'; name: string };

function routeOf(path: string): Route {
  const segments = path.split('/').filter((s) => s !== '');
  try {
    if (segments.length === 0) return { kind: 'root' };
    if (segments.length === 1) return { kind: 'table', name: decodeURIComponent(segments[0]) };
    if (segments.length === 2 && segments[0] === 'rpc') return { kind: 'rpc', name: decodeURIComponent(segments[1]) };
  } catch {
    // a malformed %-escape falls through to the error below
  }
  throw new RestError(404, 'PGRST125', 'Invalid path specified in request URL');
}

export function createRestService(ctx: GatewayContext): Service {
  const config = readRestConfig(ctx.env, ctx.config.api);
  const cache = new SchemaCache(ctx.sql, config.schema);
  const verifier = tokenVerifier(ctx.keys);
  const log = serviceLogger(ctx, 'rest');
  // PostgREST's reload channel: `notify pgrst, 'reload schema'` (or 'reload config' for the pgrst.* settings).
  const listening = ctx.sql
    .listen('pgrst', (payload) => {
      if (payload === '' || payload === 'reload schema' || payload === 'reload config') {
        cache.reload().catch((err: unknown) => log.error('schema reload failed', { err }));
      }
    })
    .catch((err: unknown) => {
      log.error('could not listen for schema reloads', { err });
      return null;
    });

  async function handle(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    const head = req.method === 'HEAD';
    let identity: RequestIdentity | null = null;
    try {
      const route = routeOf(path);
      checkProfile(req, config.schema);
      identity = await identify(req, verifier, cache);
      if (route.kind === 'root') {
        await describeRoot(res, cache, head);
        return;
      }
      const snapshot = await cache.current();
      const rc: RequestContext = {
        sql: ctx.sql,
        config,
        cache,
        req,
        res,
        url,
        identity,
        settings: requestSettings(req, `/${path.replace(/^\//, '')}`),
        prefs: parsePrefer(req, {
          allowTxOverride: snapshot.settings.txEnd.endsWith('allow-override'),
          timezones: String(req.headers.prefer ?? '').includes('timezone=') ? await cache.timezones() : new Set(),
        }),
        media: negotiateMedia(req, snapshot.settings.planEnabled),
        head,
      };
      if (route.kind === 'rpc') {
        await callFunction(rc, route.name);
        return;
      }
      const table = await cache.table(route.name);
      if (!table) throw tableNotFound(config.schema, route.name, cache.now().tables.keys());
      switch (req.method) {
        case 'GET':
        case 'HEAD':
          return await readTable(rc, table);
        case 'POST':
          return await writeTable(rc, table, 'insert');
        case 'PATCH':
          return await writeTable(rc, table, 'update');
        case 'DELETE':
          return await writeTable(rc, table, 'delete');
        default:
          throw new RestError(405, 'PGRST117', `Unsupported HTTP method: ${req.method ?? ''}`);
      }
    } catch (err) {
      sendError(res, toRestError(err, identity, log, res), head);
    }
  }

  return {
    prefix: '/rest/v1',
    handle,
    async close() {
      const subscription = await listening;
      await subscription?.unlisten().catch(() => undefined);
    },
  };
}

function toRestError(err: unknown, identity: RequestIdentity | null, log: Logger, res: ServerResponse): RestError {
  if (err instanceof RestError) return err;
  if (isPgError(err)) return fromPgError(err, identity === null || isAnonymous(identity));
  log.error('unexpected error', { request_id: res.getHeader('x-request-id'), status: 500, err });
  return new RestError(500, 'PGRSTX00', 'Internal server error', err instanceof Error ? err.message : null);
}

/** GET /: a minimal OpenAPI description listing the exposed tables and functions. */
async function describeRoot(res: ServerResponse, cache: SchemaCache, head: boolean): Promise<void> {
  const snapshot = await cache.current();
  const paths: Record<string, object> = { '/': {} };
  for (const name of snapshot.tables.keys()) paths[`/${name}`] = {};
  for (const name of snapshot.functions.keys()) paths[`/rpc/${name}`] = {};
  const definitions = Object.fromEntries(
    [...snapshot.tables.values()].map((t) => [
      t.name,
      { type: 'object', properties: Object.fromEntries(t.columns.map((c) => [c.name, { format: c.baseType }])) },
    ]),
  );
  const doc = {
    swagger: '2.0',
    info: { title: 'Switchboard dev stack REST API', version: '13' },
    basePath: '/rest/v1',
    paths,
    definitions,
  };
  send(res, 200, JSON.stringify(doc), { 'content-type': 'application/openapi+json; charset=utf-8' }, head);
}
