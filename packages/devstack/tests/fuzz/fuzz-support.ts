// Shared by the fuzz suites: the run count and seed (both reproducible from
// the environment), a private API gateway so the fuzz load never reaches the
// gateway other test files use, keep-alive HTTP, and a watch on the server's
// console.error so a handled-but-logged internal error fails the run too.
import http from 'node:http';
import { inject } from 'vitest';
import { startApi, type RunningApi } from '../../src/api';
import { readTestKeys } from '../../src/keys';
import { freePort } from '../../src/postgres';
import '../../src/testing/stack-info';

/** Cases per target: 10,000 unless FUZZ_RUNS asks for fewer (or more) on a local run. */
export function fuzzRuns(): number {
  const raw = process.env.FUZZ_RUNS;
  const runs = raw === undefined ? 10_000 : Number(raw);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`FUZZ_RUNS must be a positive integer, got "${raw}"`);
  return runs;
}

/**
 * The seed of a suite: FUZZ_SEED replays a failure, otherwise a fixed default
 * per suite, so a plain run is the same run every time.
 */
export function fuzzSeed(fallback: number): number {
  const raw = process.env.FUZZ_SEED;
  if (raw === undefined) return fallback;
  const seed = Number(raw);
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got "${raw}"`);
  return seed;
}

/** A gateway of this file's own on the test database (auth, rest, realtime). */
export async function startPrivateApi(env: Record<string, string> = {}): Promise<RunningApi> {
  return startApi({
    dbUrl: inject('stack').dbUrl,
    port: await freePort(),
    keys: await readTestKeys(),
    env: { ...process.env, ...env },
  });
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export function keepAliveAgent(maxSockets = 8): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets });
}

/** One raw HTTP request (any header, any body bytes) on a keep-alive agent. */
export function httpRequest(
  agent: http.Agent,
  baseUrl: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<HttpResult> {
  const url = new URL(baseUrl);
  // Node frames a GET/DELETE body only with an explicit length (else the bytes would read as the next request).
  const headers =
    init.body === undefined
      ? init.headers
      : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: url.hostname, port: url.port, path, method: init.method ?? 'GET', headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error(`request timed out: ${init.method ?? 'GET'} ${path}`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** The server's internal-error log lines (it runs in this process), collected while a suite runs. */
export class ServerErrorLog {
  readonly lines: string[] = [];
  private original: typeof console.error | null = null;

  start(): void {
    this.original = console.error;
    const original = this.original;
    console.error = (...args: unknown[]) => {
      this.lines.push(args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : String(a))).join(' '));
      original.apply(console, args);
    };
  }

  stop(): void {
    if (this.original) console.error = this.original;
    this.original = null;
  }

  /** Lines logged since `mark`, e.g. '[rest] unexpected error …'. */
  since(mark: number): string[] {
    return this.lines.slice(mark);
  }
}

/** Header values Node's http client refuses to send (control characters) would fail the client, not the server. */
export function sendableHeader(value: string): string {
  return value.replace(/[^\t\x20-\x7e]/g, '');
}

/** fast-check's report (seed, path, counterexample) followed by the assertion that failed. */
export function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `\nCause: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
