// Load-test clients in a worker thread (loaded through tsx): raw `ws` Phoenix
// vsn 2.0.0 sockets, each joined to its depot's private topic with its
// dispatcher's token, each keeping its own board (shipment id → version/status)
// fed by the app's own SeqFeed: changes applied in seq order, gaps backfilled
// from shipment_events (as superuser, SQL), duplicates ignored. Running here
// keeps the clients' CPU and heap out of the main thread, which holds the stack.
import { parentPort } from 'node:worker_threads';
import postgres from 'postgres';
import WebSocket from 'ws';
import type { ShipmentChange } from '../../lib/shipments/schema';
import { SeqFeed } from '../../lib/live/seq-feed';

export interface ClientSpec {
  depotIndex: number;
  token: string;
}

export type WorkerCommand =
  | { cmd: 'open'; url: string; dbUrl: string; depots: string[]; clients: ClientSpec[]; batch: number }
  | { cmd: 'commits'; commits: number[] } // flat triples: depotIndex, seq, commit time (epoch ms)
  | { cmd: 'waitSeq'; targets: number[]; timeoutMs: number }
  | { cmd: 'verify' }
  | { cmd: 'stats' }
  | { cmd: 'close' };

export interface WorkerStats {
  deliveries: number;
  backfilled: number;
  backfillQueries: number;
  errors: string[];
  closedSockets: number;
  /** Latency histogram, 0.1 ms buckets (last bucket: everything beyond). */
  histogram: number[];
  latencyCount: number;
  latencyMax: number;
  negative: number;
}

export interface VerifyResult {
  clients: number;
  mismatchedClients: number;
  seqViolations: number;
  wrongCounts: number;
  examples: string[];
}

const BUCKET_MS = 0.1;
const BUCKETS = 100_000; // 10 s
// Wall clock, like the database's clock_timestamp() it is compared with (a worker's
// performance.timeOrigin + now() can drift from it by milliseconds).
const now = () => Date.now();

interface Entry {
  version: number;
  status: string | null;
}

class Client {
  readonly board = new Map<string, Entry>();
  /** Next seq this client must apply: the applied list is 1..N iff every apply sees exactly this. */
  expected = 1;
  applied = 0;
  violations = 0;
  readonly feed: SeqFeed<ShipmentChange>;
  ws: WebSocket | null = null;

  constructor(
    readonly depotIndex: number,
    readonly depotId: string,
    backfill: (depotId: string, afterSeq: number, limit: number) => Promise<ShipmentChange[]>,
    onError: (err: unknown) => void,
  ) {
    this.feed = new SeqFeed<ShipmentChange>({
      initialSeq: 0, // an empty board: everything, the setup's inserts included, comes through the feed
      apply: (changes) => {
        for (const change of changes) {
          if (change.seq !== this.expected) this.violations++;
          this.expected = change.seq + 1;
          this.applied++;
          // The version guard of applyShipmentChange: older or equal versions are no-ops.
          const current = this.board.get(change.id);
          if (current && current.version >= change.version) continue;
          if (change.operation === 'DELETE') this.board.delete(change.id);
          else this.board.set(change.id, { version: change.version, status: change.record?.status ?? null });
        }
      },
      backfill: (afterSeq, limit) => backfill(depotId, afterSeq, limit),
      onError,
    });
  }
}

let sql: postgres.Sql | null = null;
let clients: Client[] = [];
let depots: string[] = [];
let deliveries = 0;
let backfilled = 0;
let backfillQueries = 0;
let closedSockets = 0;
let closing = false;
const errors: string[] = [];
const histogram = new Uint32Array(BUCKETS);
let latencyCount = 0;
let latencyMax = 0;
let negative = 0;
/** Per depot: seq → commit time, and receipts that arrived before their commit time did. */
let commitTimes: Map<number, number>[] = [];
let pending: number[][] = [];

function recordLatency(ms: number): void {
  if (ms < 0) negative++;
  const bucket = Math.min(BUCKETS - 1, Math.max(0, Math.floor(ms / BUCKET_MS)));
  histogram[bucket]++;
  latencyCount++;
  if (ms > latencyMax) latencyMax = ms;
}

function error(message: string): void {
  if (errors.length < 50) errors.push(message);
}

async function backfill(depotId: string, afterSeq: number, limit: number): Promise<ShipmentChange[]> {
  backfillQueries++;
  const rows = await sql!<
    {
      seq: string;
      shipment_id: string;
      version: number;
      operation: ShipmentChange['operation'];
      changes: Record<string, unknown>;
      record: ShipmentChange['record'];
    }[]
  >`select seq, shipment_id, version, operation, changes, record from public.shipment_events
    where depot_id = ${depotId} and seq > ${afterSeq} order by seq limit ${limit}`;
  backfilled += rows.length;
  return rows.map((r) => ({
    seq: Number(r.seq),
    scope: depotId,
    id: r.shipment_id,
    version: r.version,
    operation: r.operation,
    changed: Object.keys(r.changes ?? {}),
    record: r.record,
  }));
}

function onFrame(client: Client, text: string): void {
  const at = now();
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return error(`unparsable frame: ${text.slice(0, 100)}`);
  }
  if (!Array.isArray(frame)) return;
  const [, , topic, event, payload] = frame as [unknown, unknown, string, string, Record<string, unknown>];
  if (event === 'broadcast' && payload?.event === 'changed') {
    const change = payload.payload as ShipmentChange;
    const seq = Number(change.seq);
    change.seq = seq;
    deliveries++;
    const committed = commitTimes[client.depotIndex].get(seq);
    if (committed !== undefined) recordLatency(at - committed);
    else pending[client.depotIndex].push(seq, at);
    client.feed.receive(change);
  } else if (event === 'phx_close' || event === 'phx_error' || event === 'system') {
    if (event !== 'system' || payload?.status === 'error')
      error(`${topic} ${event}: ${JSON.stringify(payload).slice(0, 200)}`);
  }
}

function openOne(url: string, client: Client, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    client.ws = ws;
    const topic = `realtime:shipments:${client.depotId}`;
    let joined = false;
    ws.on('error', (err) => (joined ? error(`socket error: ${err.message}`) : reject(err)));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return error('unexpected binary frame');
      const text = data.toString();
      if (!joined) {
        const [, ref, , event, payload] = JSON.parse(text) as [
          unknown,
          string,
          string,
          string,
          { status?: string; response?: unknown },
        ];
        if (event === 'phx_reply' && ref === '1') {
          if (payload.status !== 'ok') return reject(new Error(`join refused: ${JSON.stringify(payload.response)}`));
          joined = true;
          // The subscribe-then-catch-up handoff of useDepotFeed.
          void client.feed.catchUp();
          return resolve();
        }
      }
      onFrame(client, text);
    });
    ws.on('open', () => {
      ws.send(
        JSON.stringify([
          '1',
          '1',
          topic,
          'phx_join',
          {
            config: {
              broadcast: { ack: false, self: false },
              presence: { enabled: false },
              postgres_changes: [],
              private: true,
            },
            access_token: token,
          },
        ]),
      );
    });
    let ref = 1;
    const hb = setInterval(
      () =>
        ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify([null, String(++ref), 'phoenix', 'heartbeat', {}])),
      20_000,
    );
    ws.on('close', (code) => {
      clearInterval(hb);
      if (!closing) {
        closedSockets++;
        error(`socket of a depot-${client.depotIndex} client closed (${code})`);
      }
    });
  });
}

async function open(cmd: Extract<WorkerCommand, { cmd: 'open' }>): Promise<void> {
  sql = postgres(cmd.dbUrl, { max: 4, onnotice: () => {} });
  depots = cmd.depots;
  commitTimes = depots.map(() => new Map());
  pending = depots.map(() => []);
  clients = cmd.clients.map(
    (spec) =>
      new Client(spec.depotIndex, depots[spec.depotIndex], backfill, (err) => error(`backfill: ${String(err)}`)),
  );
  for (let i = 0; i < clients.length; i += cmd.batch) {
    await Promise.all(clients.slice(i, i + cmd.batch).map((c, j) => openOne(cmd.url, c, cmd.clients[i + j].token)));
  }
}

function addCommits(flat: number[]): void {
  const touched = new Set<number>();
  for (let i = 0; i < flat.length; i += 3) {
    commitTimes[flat[i]].set(flat[i + 1], flat[i + 2]);
    touched.add(flat[i]);
  }
  for (const d of touched) {
    const list = pending[d];
    const left: number[] = [];
    for (let i = 0; i < list.length; i += 2) {
      const committed = commitTimes[d].get(list[i]);
      if (committed !== undefined) recordLatency(list[i + 1] - committed);
      else left.push(list[i], list[i + 1]);
    }
    pending[d] = left;
  }
}

async function waitSeq(targets: number[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const behind = clients.filter((c) => c.feed.lastSeq < targets[c.depotIndex]).length;
    if (behind === 0 || Date.now() > deadline) return behind;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function verify(): Promise<VerifyResult> {
  const result: VerifyResult = {
    clients: clients.length,
    mismatchedClients: 0,
    seqViolations: 0,
    wrongCounts: 0,
    examples: [],
  };
  for (const [d, depotId] of depots.entries()) {
    const rows = await sql!<{ id: string; version: number; status: string }[]>`
      select id, version, status::text from public.shipments where depot_id = ${depotId}`;
    const [{ last_seq }] = await sql!<
      { last_seq: string }[]
    >`select last_seq from public.depot_watermarks where depot_id = ${depotId}`;
    const n = Number(last_seq);
    for (const [c, client] of clients.entries()) {
      if (client.depotIndex !== d) continue;
      if (client.violations > 0) {
        result.seqViolations++;
        if (result.examples.length < 10)
          result.examples.push(`client ${c}: ${client.violations} out-of-order/duplicate applies`);
      }
      if (client.applied !== n || client.expected !== n + 1) {
        result.wrongCounts++;
        if (result.examples.length < 10)
          result.examples.push(
            `client ${c}: applied ${client.applied} changes, last seq ${client.expected - 1}, database ${n}`,
          );
      }
      let equal = client.board.size === rows.length;
      for (const row of rows) {
        const entry = client.board.get(row.id);
        if (!entry || entry.version !== row.version || entry.status !== row.status) {
          equal = false;
          if (result.examples.length < 10) {
            result.examples.push(
              `client ${c}: shipment ${row.id} is ${JSON.stringify(entry)} on the client, v${row.version} ${row.status} in the database`,
            );
          }
          break;
        }
      }
      if (!equal) result.mismatchedClients++;
    }
  }
  return result;
}

function stats(): WorkerStats {
  return {
    deliveries,
    backfilled,
    backfillQueries,
    errors,
    closedSockets,
    histogram: Array.from(histogram),
    latencyCount,
    latencyMax,
    negative,
  };
}

parentPort!.on('message', async (msg: WorkerCommand & { id: number }) => {
  try {
    let reply: unknown = { ok: true };
    switch (msg.cmd) {
      case 'open':
        await open(msg);
        break;
      case 'commits':
        addCommits(msg.commits);
        return; // fire and forget
      case 'waitSeq':
        reply = { behind: await waitSeq(msg.targets, msg.timeoutMs) };
        break;
      case 'verify':
        reply = await verify();
        break;
      case 'stats':
        reply = stats();
        break;
      case 'close':
        closing = true;
        for (const c of clients) {
          c.feed.close();
          c.ws?.terminate();
        }
        await sql?.end({ timeout: 2 });
        break;
    }
    parentPort!.postMessage({ id: msg.id, reply });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: String((err as Error)?.stack ?? err) });
  }
});
