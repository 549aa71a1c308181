// Fuzzing the Realtime socket: random and mutated Phoenix frames (vsn 1.0.0
// objects, vsn 2.0.0 arrays, binary kind-3 pushes) over a few raw sockets.
// Whatever arrives, the server answers with well-formed Phoenix frames or
// ignores it, never closes the socket (except 1009 for an oversized frame),
// never logs an internal error, and a heartbeat and a public join still work.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, type RawData } from 'ws';
import type { RunningApi } from '../../src/api';
import {
  describeFailure,
  fuzzRuns,
  fuzzSeed,
  httpRequest,
  keepAliveAgent,
  ServerErrorLog,
  startPrivateApi,
} from './fuzz-support';

const RUNS = fuzzRuns();
const SEED = fuzzSeed(0x5eed_0001);
const MAX_FRAME_BYTES = 64 * 1024;
/** Sockets are replaced this often, so channels joined by fuzz frames do not pile up. */
const BATCH = 1000;

type Vsn = '1.0.0' | '2.0.0';

let api: RunningApi;
const log = new ServerErrorLog();
const agent = keepAliveAgent(2);

beforeAll(async () => {
  log.start();
  // Generous limits: this suite proves robustness, not rate limiting (tests/realtime/limits.test.ts does).
  api = await startPrivateApi({
    DEVSTACK_REALTIME_MAX_JOINS_PER_SECOND: '1000000',
    DEVSTACK_REALTIME_MAX_EVENTS_PER_SECOND: '1000000',
    DEVSTACK_REALTIME_MAX_PRESENCE_CALLS: '1000000',
    DEVSTACK_REALTIME_MAX_CHANNELS_PER_CLIENT: '100000',
    DEVSTACK_REALTIME_MAX_FRAME_BYTES: String(MAX_FRAME_BYTES),
  });
});

afterAll(async () => {
  agent.destroy();
  await api?.close();
  log.stop();
});

// ---------------------------------------------------------------------------
// A raw Phoenix socket that records everything and checks each frame it gets.

class RawSocket {
  readonly problems: string[] = [];
  closeCode: number | null = null;
  private waiters: Array<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  private constructor(
    readonly ws: WebSocket,
    readonly vsn: Vsn,
  ) {
    ws.on('message', (data: RawData, isBinary: boolean) => this.receive(data, isBinary));
    ws.on('close', (code: number) => {
      this.closeCode = code;
    });
    ws.on('error', () => {});
  }

  static open(vsn: Vsn): Promise<RawSocket> {
    const url = `${api.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${api.keys.anonKey}&vsn=${vsn}`;
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const socket = new RawSocket(ws, vsn);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(data: string | Buffer): void {
    this.ws.send(data, { binary: typeof data !== 'string' });
  }

  /** Resolves when a frame matching arrives (frames in Phoenix's v1 object form). */
  next(match: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching frame within ${timeoutMs} ms (close code ${this.closeCode})`)),
        timeoutMs,
      );
      this.waiters.push({ match, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  close(): void {
    this.ws.terminate();
  }

  private receive(data: RawData, isBinary: boolean): void {
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (isBinary) {
      // Server → client binary frames are kind 4 user broadcasts: kind, topic len, event len, meta len, encoding.
      if (
        this.vsn !== '2.0.0' ||
        buffer.length < 5 ||
        buffer[0] !== 4 ||
        5 + buffer[1] + buffer[2] + buffer[3] > buffer.length
      ) {
        this.problems.push(`malformed binary frame from server: ${buffer.toString('hex').slice(0, 80)}`);
      }
      return;
    }
    const frame = toFrame(buffer.toString('utf8'), this.vsn);
    if (typeof frame === 'string') {
      this.problems.push(frame);
      return;
    }
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(frame)) return true;
      w.resolve(frame);
      return false;
    });
  }
}

interface Frame {
  topic: string;
  event: string;
  payload: unknown;
  ref: string | null;
  join_ref: string | null;
}

/** A server frame in v1 form, or a description of what is wrong with it. */
function toFrame(text: string, vsn: Vsn): Frame | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `server sent text that is not JSON: ${text.slice(0, 200)}`;
  }
  let frame: Frame;
  if (vsn === '2.0.0') {
    if (!Array.isArray(json) || json.length !== 5) return `vsn 2 frame is not a 5-array: ${text.slice(0, 200)}`;
    const [join_ref, ref, topic, event, payload] = json as unknown[];
    frame = { join_ref, ref, topic, event, payload } as Frame;
  } else {
    if (json === null || typeof json !== 'object' || Array.isArray(json))
      return `vsn 1 frame is not an object: ${text.slice(0, 200)}`;
    frame = json as Frame;
  }
  if (typeof frame.topic !== 'string' || typeof frame.event !== 'string')
    return `frame without topic/event: ${text.slice(0, 200)}`;
  for (const key of ['ref', 'join_ref'] as const) {
    if (frame[key] !== null && frame[key] !== undefined && typeof frame[key] !== 'string')
      return `${key} is not a string: ${text.slice(0, 200)}`;
  }
  if (frame.event === 'phx_reply') {
    const p = frame.payload as { status?: unknown; response?: unknown } | null;
    if (!p || (p.status !== 'ok' && p.status !== 'error') || typeof p.response !== 'object' || p.response === null) {
      return `malformed phx_reply: ${text.slice(0, 200)}`;
    }
    if (p.status === 'error' && typeof (p.response as { reason?: unknown }).reason !== 'string') {
      return `error reply without a reason: ${text.slice(0, 200)}`;
    }
  }
  return frame;
}

function encode(
  vsn: Vsn,
  f: { join_ref?: unknown; ref?: unknown; topic: unknown; event: unknown; payload: unknown },
): string {
  return vsn === '2.0.0'
    ? JSON.stringify([f.join_ref ?? null, f.ref ?? null, f.topic, f.event, f.payload])
    : JSON.stringify({
        topic: f.topic,
        event: f.event,
        payload: f.payload,
        ref: f.ref ?? null,
        join_ref: f.join_ref ?? null,
      });
}

// ---------------------------------------------------------------------------
// Arbitraries: valid frames, their mutations, and plain garbage.

const hugeNumber = fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 2 ** 64, 5e-324, 0.1);
const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const jsonish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: hugeNumber },
  { weight: 1, arbitrary: anyText },
);
const topic = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'realtime:fuzz',
      'realtime:fuzz-2',
      'realtime:',
      'realtime:depot:d0000000-0000-4000-8000-000000000001',
      'phoenix',
      'realtime',
    ),
  },
  { weight: 2, arbitrary: anyText.map((s) => `realtime:${s}`) },
  { weight: 1, arbitrary: anyText },
);
const ref = fc.oneof(fc.constant(null), fc.nat({ max: 99 }).map(String), fc.nat(), anyText, hugeNumber);
const bool = fc.oneof(fc.boolean(), fc.constantFrom('true', 'false', 'yes', 1, null));
const token = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constant('ANON'),
  fc.constantFrom('sb_publishable_x', 'eyJhbGciOiJub25lIn0.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.', 'a.b.c', ''),
  anyText,
);
const postgresBinding = fc.record(
  {
    event: fc.oneof(fc.constantFrom('*', 'INSERT', 'UPDATE', 'DELETE'), anyText),
    schema: fc.oneof(fc.constantFrom('public', 'auth', 'pg_catalog'), anyText),
    table: fc.oneof(fc.constantFrom('shipments', 'depots', 'nope'), anyText),
    filter: fc.oneof(fc.constantFrom('depot_id=eq.x', 'status=in.(pending,assigned)', 'id=eq.', 'x=zz.1'), anyText),
  },
  { requiredKeys: [] },
);
const joinPayload = fc.record(
  {
    config: fc.record(
      {
        broadcast: fc.record(
          { ack: bool, self: bool, replay: fc.record({ since: jsonish, limit: jsonish }, { requiredKeys: [] }) },
          { requiredKeys: [] },
        ),
        presence: fc.record({ key: fc.oneof(anyText, fc.integer(), jsonish), enabled: bool }, { requiredKeys: [] }),
        postgres_changes: fc.array(fc.oneof(postgresBinding, jsonish), { maxLength: 3 }),
        private: bool,
        postgres_changes_options: fc.record(
          { wait: bool, timeout: fc.oneof(fc.integer({ min: 0, max: 200 }), jsonish) },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
    access_token: token,
    user_token: token,
  },
  { requiredKeys: [] },
);

type Message = { join_ref: unknown; ref: unknown; topic: unknown; event: unknown; payload: unknown };

const validMessage: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ join_ref: ref, ref, topic, event: fc.constant('phx_join'), payload: joinPayload }),
  fc.record({
    join_ref: ref,
    ref,
    topic: fc.constant('phoenix'),
    event: fc.constant('heartbeat'),
    payload: fc.constant({}),
  }),
  fc.record({
    join_ref: ref,
    ref,
    topic,
    event: fc.constant('broadcast'),
    payload: fc.record(
      { type: fc.constant('broadcast'), event: fc.oneof(fc.constantFrom('ping', ''), anyText), payload: jsonish },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    join_ref: ref,
    ref,
    topic,
    event: fc.constant('presence'),
    payload: fc.record(
      { type: fc.constant('presence'), event: fc.constantFrom('track', 'untrack', 'other'), payload: jsonish },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    join_ref: ref,
    ref,
    topic,
    event: fc.constant('access_token'),
    payload: fc.record({ access_token: token }, { requiredKeys: [] }),
  }),
  fc.record({
    join_ref: ref,
    ref,
    topic,
    event: fc.constantFrom('phx_leave', 'phx_close', 'phx_reply', 'phx_error', 'postgres_changes', 'system', 'unknown'),
    payload: jsonish,
  }),
);

/** A valid message with one field replaced, deleted or retyped. */
const mutatedMessage: fc.Arbitrary<Message> = fc
  .tuple(
    validMessage,
    fc.constantFrom<keyof Message>('join_ref', 'ref', 'topic', 'event', 'payload'),
    fc.oneof(jsonish, fc.constant(undefined)),
  )
  .map(([m, key, value]) => ({ ...m, [key]: value }));

const textFrame = (vsn: Vsn): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 5, arbitrary: validMessage.map((m) => encode(vsn, m)) },
    { weight: 5, arbitrary: mutatedMessage.map((m) => encode(vsn, m)) },
    // Well-formed JSON of the other serializer, wrong-length arrays, bare values.
    { weight: 2, arbitrary: mutatedMessage.map((m) => encode(vsn === '2.0.0' ? '1.0.0' : '2.0.0', m)) },
    { weight: 2, arbitrary: fc.array(jsonish, { maxLength: 8 }).map((a) => JSON.stringify(a)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    // Hand-written number literals JSON.stringify cannot produce (overflow to Infinity, long digits).
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('1e400', '-1e400', '123456789012345678901234567890', '0.' + '0'.repeat(400) + '1')
        .map((n) =>
          vsn === '2.0.0'
            ? `[${n},${n},"realtime:fuzz","phx_join",{"config":{"broadcast":{"replay":{"since":${n}}}}}]`
            : `{"topic":"realtime:fuzz","event":"phx_join","payload":{"config":{"broadcast":{"replay":{"since":${n}}}}},"ref":${n}}`,
        ),
    },
    // Truncated, spliced or plain text.
    {
      weight: 2,
      arbitrary: fc.tuple(validMessage, fc.nat()).map(([m, cut]) => {
        const t = encode(vsn, m);
        return t.slice(0, cut % (t.length + 1));
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(validMessage, fc.nat(), anyText).map(([m, at, junk]) => {
        const t = encode(vsn, m);
        const i = at % (t.length + 1);
        return t.slice(0, i) + junk + t.slice(i);
      }),
    },
    { weight: 2, arbitrary: anyText },
    // Deep nesting: a parser that recurses per level must not blow the stack.
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 5000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)) },
  );

/** A client kind-3 push: kind, join_ref/ref/topic/event/meta lengths, encoding, then those fields and the body. */
function kind3(fields: {
  joinRef: string;
  ref: string;
  topic: string;
  event: string;
  meta: string;
  encoding: number;
  body: Buffer;
}): Buffer {
  const parts = [fields.joinRef, fields.ref, fields.topic, fields.event, fields.meta].map((s) =>
    Buffer.from(s, 'utf8'),
  );
  const header = Buffer.from([3, ...parts.map((p) => p.length & 0xff), fields.encoding]);
  return Buffer.concat([header, ...parts, fields.body]);
}

const binaryFrame: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.record({
          joinRef: fc.oneof(fc.constant('1'), fc.string({ maxLength: 4 })),
          ref: fc.oneof(fc.constant('2'), fc.string({ maxLength: 4 })),
          topic: fc.oneof(fc.constantFrom('realtime:fuzz', 'realtime:fuzz-2'), fc.string({ maxLength: 30 })),
          event: fc.oneof(fc.constant('ping'), fc.string({ maxLength: 10 })),
          meta: fc.oneof(fc.constant(''), fc.string({ maxLength: 10 })),
          encoding: fc.oneof(fc.constantFrom(0, 1), fc.nat({ max: 255 })),
          body: fc.oneof(
            fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v))),
            fc.uint8Array({ maxLength: 32 }).map((a) => Buffer.from(a)),
          ),
        }),
        // Mutation: none, a wrong length byte, a truncation, or a flipped kind.
        fc.oneof(
          fc.constant({ kind: 'none' as const }),
          fc.record({
            kind: fc.constant('length' as const),
            index: fc.integer({ min: 1, max: 6 }),
            value: fc.nat({ max: 255 }),
          }),
          fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
          fc.record({ kind: fc.constant('kind' as const), value: fc.nat({ max: 255 }) }),
        ),
      )
      .map(([fields, mutation]) => {
        const frame = kind3(fields);
        if (mutation.kind === 'length') frame[mutation.index] = mutation.value;
        if (mutation.kind === 'kind') frame[0] = mutation.value;
        return mutation.kind === 'truncate' ? frame.subarray(0, mutation.at % (frame.length + 1)) : frame;
      }),
  },
);

type Step = { kind: 'text'; data: string } | { kind: 'binary'; data: Buffer } | { kind: 'oversized'; binary: boolean };

const steps = (vsn: Vsn): fc.Arbitrary<Step[]> =>
  fc.array(
    fc.oneof(
      { weight: 12, arbitrary: textFrame(vsn).map((data): Step => ({ kind: 'text', data })) },
      { weight: 5, arbitrary: binaryFrame.map((data): Step => ({ kind: 'binary', data })) },
      { weight: 1, arbitrary: fc.boolean().map((binary): Step => ({ kind: 'oversized', binary })) },
    ),
    { minLength: 1, maxLength: 3 },
  );

const fuzzCase = fc
  .constantFrom<Vsn>('1.0.0', '2.0.0')
  .chain((vsn) => fc.record({ vsn: fc.constant(vsn), steps: steps(vsn) }));

// ---------------------------------------------------------------------------

/** Heartbeat answered, then a public join accepted: the socket is fully usable. */
async function proveUsable(socket: RawSocket, label: string): Promise<void> {
  const hb = `hb-${label}`;
  const heartbeat = socket.next(
    (f) => f.topic === 'phoenix' && f.ref === hb && (f.payload as { status?: string }).status === 'ok',
  );
  socket.send(encode(socket.vsn, { topic: 'phoenix', event: 'heartbeat', payload: {}, ref: hb }));
  await heartbeat;
  const topic = `realtime:fuzz-proof-${label}`;
  const joined = socket.next((f) => f.topic === topic && f.event === 'phx_reply' && f.ref === 'j1');
  socket.send(
    encode(socket.vsn, {
      topic,
      event: 'phx_join',
      join_ref: 'j1',
      ref: 'j1',
      payload: { config: { broadcast: { self: false }, presence: { key: '' }, private: false } },
    }),
  );
  const reply = (await joined).payload as { status: string; response: unknown };
  expect(reply, `public join on ${topic}`).toEqual({ status: 'ok', response: { postgres_changes: [] } });
}

describe(`Realtime socket under ${RUNS} fuzzed frame sequences (seed ${SEED})`, () => {
  it(
    'answers well-formed frames or ignores them, stays open (except 1009) and stays usable',
    { timeout: 600_000 },
    async () => {
      const sockets = new Map<Vsn, RawSocket>();
      const get = async (vsn: Vsn): Promise<RawSocket> => {
        let s = sockets.get(vsn);
        if (!s || !s.open) {
          s = await RawSocket.open(vsn);
          sockets.set(vsn, s);
        }
        return s;
      };
      let barrier = 0;
      let run = 0;
      const started = Date.now();
      try {
        await fc.assert(
          fc.asyncProperty(fuzzCase, async ({ vsn, steps: sequence }) => {
            run++;
            const socket = await get(vsn);
            let oversized = false;
            for (const step of sequence) {
              if (step.kind === 'oversized') {
                oversized = true;
                socket.send(step.binary ? Buffer.alloc(MAX_FRAME_BYTES + 1, 3) : `"${'x'.repeat(MAX_FRAME_BYTES)}"`);
                break;
              }
              socket.send(step.data);
            }
            if (oversized) {
              // The only close the server may make: 1009 (message too big), documented in constants.ts.
              await new Promise<void>((resolve) =>
                socket.closeCode !== null ? resolve() : socket.ws.once('close', () => resolve()),
              );
              expect(socket.closeCode).toBe(1009);
              sockets.delete(vsn);
            } else {
              // Frames are handled one at a time per socket: once a push to a topic nobody joined
              // is answered, everything sent before it has been handled.
              const id = `barrier-${++barrier}`;
              const answered = socket.next((f) => f.topic === 'realtime:__barrier__' && f.ref === id);
              socket.send(encode(vsn, { topic: 'realtime:__barrier__', event: 'probe', payload: {}, ref: id }));
              await answered;
              expect(socket.closeCode, 'socket closed by the server').toBeNull();
            }
            expect(socket.problems).toEqual([]);
            if (run % BATCH === 0) {
              // Between batches: health over HTTP, a fresh socket works, and the old sockets are replaced.
              const health = await httpRequest(agent, api.url, '/realtime/v1/api/health');
              expect(health.status).toBe(200);
              for (const s of sockets.values()) s.close();
              sockets.clear();
              const fresh = await get(vsn);
              await proveUsable(fresh, `batch-${run}`);
            }
          }),
          { numRuns: RUNS, seed: SEED, endOnFailure: true },
        );
      } catch (err) {
        throw new Error(
          `realtime fuzz failed (seed ${SEED}; replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}):\n${describeFailure(err)}`,
        );
      } finally {
        console.info(`[fuzz] realtime: ${run} cases in ${Date.now() - started} ms (seed ${SEED})`);
      }

      // After the run: each surviving socket (and a fresh one per serializer) still works.
      for (const [vsn, socket] of sockets) if (socket.open) await proveUsable(socket, `survivor-${vsn}`);
      for (const vsn of ['1.0.0', '2.0.0'] as const) {
        const fresh = await RawSocket.open(vsn);
        await proveUsable(fresh, `final-${vsn}`);
        expect(fresh.problems).toEqual([]);
        fresh.close();
      }
      for (const s of sockets.values()) s.close();
      const health = await httpRequest(agent, api.url, '/realtime/v1/api/health');
      expect(health.status).toBe(200);
      expect(log.lines.filter((l) => l.startsWith('[realtime]') || l.startsWith('[gateway]'))).toEqual([]);
    },
  );
});
