// Structured logs of the gateway: one JSON object per line, with the request
// id the response carried, for every request that ends in a 5xx.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../src/gateway/server';
import { readKeys } from '../../src/keys';
import { createRestService } from '../../src/rest';
import { findProjectRoot } from '../../src/config';
import { readSupabaseConfig } from '../../src/supabase-config';
import { createLogger, readLogFormat } from '../../src/log-json';
import { createDevstackMetrics, metricsService } from '../../src/metrics';
import { freePort } from '../../src/postgres';
import { metricValue } from '../../src/testing/prometheus-text';

const lines: string[] = [];
const metrics = createDevstackMetrics();
let gateway: RunningGateway;

beforeAll(async () => {
  gateway = await startGateway(
    await freePort(),
    [
      {
        prefix: '/broken',
        async handle(_req, res, path) {
          if (path === '/throws') throw new Error('database exploded');
          res.writeHead(path === '/unavailable' ? 503 : 200).end();
        },
      },
      metricsService(metrics.registry),
    ],
    { metrics, logger: createLogger({ service: 'gateway', format: 'json', sink: (line) => lines.push(line) }) },
  );
});
afterAll(() => gateway?.close());

const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('gateway request logs', () => {
  it('logs an unhandled error as one JSON line carrying the request id of the 500 response', async () => {
    const res = await fetch(`${gateway.url}/broken/throws`, { headers: { 'x-request-id': 'req-log-1' } });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-request-id')).toBe('req-log-1');
    expect(await res.json()).toEqual({ message: 'Internal server error' });

    const entries = parsed().filter((e) => e.request_id === 'req-log-1');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: 'error',
      msg: 'unhandled error',
      service: 'broken',
      method: 'GET',
      path: '/broken/throws',
      status: 500,
    });
    expect(new Date(entries[0].time as string).getTime()).not.toBeNaN();
    expect(entries[0].err).toMatchObject({ name: 'Error', message: 'database exploded' });
  });

  it('logs a 5xx a service answered itself, with the generated request id', async () => {
    const res = await fetch(`${gateway.url}/broken/unavailable`);
    expect(res.status).toBe(503);
    const id = res.headers.get('x-request-id');
    expect(id).toBeTruthy();
    expect(parsed().filter((e) => e.request_id === id)).toEqual([
      expect.objectContaining({ level: 'error', msg: 'request failed', status: 503 }),
    ]);
  });

  it('does not log successful requests, but counts them', async () => {
    const before = lines.length;
    const res = await fetch(`${gateway.url}/broken/fine`);
    expect(res.status).toBe(200);
    expect(lines.length).toBe(before);
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metricValue(text, 'switchboard_http_requests_total', { service: 'broken', status: '200' })).toBe(1);
    expect(metricValue(text, 'switchboard_http_requests_total', { service: 'broken', status: '500' })).toBe(1);
    expect(metricValue(text, 'switchboard_http_requests_total', { service: 'broken', status: '503' })).toBe(1);
  });
});

describe('log format', () => {
  it('defaults to human-readable lines and names the allowed values of DEVSTACK_LOG_FORMAT', () => {
    expect(readLogFormat({})).toBe('text');
    expect(readLogFormat({ DEVSTACK_LOG_FORMAT: 'json' })).toBe('json');
    expect(() => readLogFormat({ DEVSTACK_LOG_FORMAT: 'yaml' })).toThrow(
      /DEVSTACK_LOG_FORMAT must be "text" or "json" \(got "yaml"\)/,
    );
    const text: string[] = [];
    createLogger({ service: 'gateway', sink: (line) => text.push(line) }).error('request failed', {
      request_id: 'r1',
      status: 502,
    });
    // pino-pretty, one line per record: level, [service], message, then the fields.
    expect(text).toEqual(['ERROR: [gateway] request failed {"request_id":"r1","status":502}']);
  });
});

describe('service logs', () => {
  it('go through the stack logger as JSON records named after their service, errors included', async () => {
    const records: Record<string, unknown>[] = [];
    // Nothing listens on this port: the REST service cannot LISTEN for schema reloads and says so.
    const sql = postgres(`postgresql://postgres:postgres@127.0.0.1:${await freePort()}/postgres`, {
      max: 1,
      connect_timeout: 2,
      onnotice: () => {},
    });
    const rest = createRestService({
      sql,
      keys: await readKeys({}),
      apiUrl: 'http://127.0.0.1:1',
      env: process.env,
      config: readSupabaseConfig(findProjectRoot()),
      logger: createLogger({
        format: 'json',
        sink: (line) => records.push(JSON.parse(line) as Record<string, unknown>),
      }),
    });
    await rest.close?.();
    await sql.end({ timeout: 1 });
    expect(records).toEqual([
      expect.objectContaining({
        level: 'error',
        service: 'rest',
        msg: 'could not listen for schema reloads',
        err: expect.objectContaining({ code: 'ECONNREFUSED' }),
      }),
    ]);
  });
});
