// npm run relay: publishes the realtime outbox to Ably or Pusher.
//
// Startup refuses to run with a missing setting or a key the provider rejects,
// with the reason on stderr and exit code 1; after that the relay runs until
// SIGINT/SIGTERM. If its database connection drops it starts over (waiting for
// the lock again), resuming from the first undelivered row.
//
// npm run relay -- --retry-dead [--channel <channel>] [--id <id> …]: moves dead
// letters back into the outbox after a fix (needs only DATABASE_URL) and exits.
import { parseArgs } from 'node:util';
import type pino from 'pino';
import postgres from 'postgres';
import { relayConfig, RelayConfigError, relayDatabaseUrl, type RelayConfig } from './config';
import { countDeadLetters, requeueDeadLetters } from './dead-letters';
import { createRelayLogger, readRelayLogFormat } from './log';
import { createRelayMetrics, observeRelay, serveRelayMetrics } from './metrics';
import { ablyPublisher } from './publishers/ably';
import { describeError, type Publisher } from './publishers/publisher';
import { pusherPublisher } from './publishers/pusher';
import { Relay } from './relay';
import { backoffDelay, type BackoffPolicy } from '../lib/realtime/backoff';

/** After the relay stopped on an error (e.g. its database connection dropped). */
const RESTART_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 30_000 };

let logger: pino.Logger;
try {
  logger = createRelayLogger(readRelayLogFormat(process.env));
} catch (err) {
  // The one line that cannot go through the logger: its own setting is wrong.
  process.stderr.write(`[relay] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
const log = (msg: string, fields: Record<string, unknown> = {}) => logger.info(fields, msg);
const fail = (msg: string, fields: Record<string, unknown> = {}) => logger.error(fields, msg);

function parseCli() {
  const { values } = parseArgs({
    options: {
      'retry-dead': { type: 'boolean' },
      channel: { type: 'string' },
      id: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  for (const id of values.id ?? []) if (!/^\d+$/.test(id)) throw new Error(`--id ${id}: an outbox id is a number`);
  return values;
}

function publisherFor(config: RelayConfig): Publisher {
  return config.provider === 'ably' ? ablyPublisher(config.ably) : pusherPublisher(config.pusher);
}

const USAGE = `Usage: npm run relay                 publish public.realtime_outbox to Ably or Pusher (see README)
       npm run relay -- --retry-dead   move dead letters back into the outbox, then exit
           [--channel <logical channel>] only that channel's   [--id <outbox id>] only that row (repeatable)`;

/** A wrong command line: the problem and the usage on stderr (not a log record: nothing ran). */
const usageError = (problem: string) => void process.stderr.write(`${problem}\n\n${USAGE}\n`);

/** --retry-dead: re-queues dead letters; a running relay publishes them. */
async function retryDead(filter: { channel?: string; ids?: string[] }): Promise<number> {
  let databaseUrl: string;
  try {
    databaseUrl = relayDatabaseUrl(process.env);
  } catch (err) {
    if (err instanceof RelayConfigError) {
      fail(err.message);
      return 1;
    }
    throw err;
  }
  const sql = postgres(databaseUrl, {
    max: 1,
    onnotice: () => {},
    connection: { application_name: 'switchboard-relay' },
  });
  try {
    const moved = await requeueDeadLetters(sql, filter);
    if (moved.length === 0)
      log('no dead letters to re-queue' + (filter.channel || filter.ids ? ' (for that filter)' : ''));
    for (const row of moved)
      log(`re-queued row ${row.id} (${row.channel} ${row.event}${row.seq ? ` seq ${row.seq}` : ''})`);
    if (moved.length > 0) log(`re-queued ${moved.length} dead letter(s); a running relay publishes them now`);
    const left = await countDeadLetters(sql);
    if (left.length > 0) log(`still dead: ${left.map((c) => `${c.count} on ${c.channel}`).join(', ')}`);
    return 0;
  } catch (err) {
    fail(`could not re-queue dead letters: ${describeError(err)}`);
    fail('Use the database owner or service role connection string, and apply the migrations (supabase db push).');
    return 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseCli>;
  try {
    args = parseCli();
  } catch (err) {
    usageError(err instanceof Error ? err.message : String(err));
    return 1;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args['retry-dead']) return retryDead({ channel: args.channel, ids: args.id });
  if (args.channel || args.id) {
    usageError('--channel and --id go with --retry-dead.');
    return 1;
  }

  let config: RelayConfig;
  try {
    config = relayConfig(process.env);
  } catch (err) {
    if (err instanceof RelayConfigError) {
      fail(err.message);
      return 1;
    }
    throw err;
  }

  const publisher = publisherFor(config);
  try {
    await publisher.verify();
  } catch (err) {
    fail(`${config.provider} did not accept the relay's check publish: ${describeError(err)}`);
    fail(
      config.provider === 'ably'
        ? 'Check ABLY_API_KEY (and ABLY_REST_HOST/PORT/TLS if set).'
        : 'Check PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET and PUSHER_CLUSTER (or PUSHER_HOST/PORT).',
    );
    return 1;
  }
  log('the provider accepted the credentials', { provider: config.provider });

  const sql = postgres(config.databaseUrl, {
    max: 2,
    onnotice: () => {},
    connection: { application_name: 'switchboard-relay' },
  });
  try {
    await sql`select 1 from public.realtime_outbox limit 1`;
    await sql`select 1 from public.realtime_outbox_dead_letters limit 1`;
  } catch (err) {
    fail(`cannot read public.realtime_outbox and its dead letters at DATABASE_URL: ${describeError(err)}`);
    fail('Use the database owner or service role connection string, and apply the migrations (supabase db push).');
    await sql.end({ timeout: 1 });
    return 1;
  }

  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log('finishing the current batch, then stopping', { signal });
      stop.abort();
    });
  }

  const relay = new Relay({
    sql,
    publisher,
    logger,
    batchSize: config.batchSize,
    pollIntervalMs: config.pollIntervalMs,
    retentionMs: config.retentionMs,
    maxAttempts: config.maxAttempts,
  });

  const metrics = createRelayMetrics();
  const observer = observeRelay(relay, sql, metrics, (err) =>
    fail(`could not count the outbox backlog: ${describeError(err)}`),
  );
  let metricsServer: Awaited<ReturnType<typeof serveRelayMetrics>> | null = null;
  if (config.metricsPort > 0) {
    try {
      metricsServer = await serveRelayMetrics(metrics.registry, config.metricsPort);
      log('serving metrics', { url: `http://0.0.0.0:${metricsServer.port}/metrics` });
    } catch (err) {
      fail(`cannot serve metrics on RELAY_METRICS_PORT=${config.metricsPort}: ${describeError(err)}`);
      fail('Choose a free port, or set RELAY_METRICS_PORT=0 to run without /metrics.');
      await sql.end({ timeout: 1 });
      return 1;
    }
  }

  let restarts = 0;
  while (!stop.signal.aborted) {
    const startedAt = Date.now();
    try {
      await relay.run(stop.signal);
    } catch (err) {
      if (stop.signal.aborted) break;
      // A healthy run resets the backoff; repeated failures back off to 30 s.
      if (Date.now() - startedAt > 60_000) restarts = 0;
      restarts += 1;
      const restartDelay = backoffDelay(RESTART_BACKOFF, restarts);
      fail('stopped by an error; starting over', { error: describeError(err), restart_in_ms: restartDelay });
      await new Promise((resolve) => setTimeout(resolve, restartDelay));
    }
  }
  observer.stop();
  await metricsServer?.close();
  await sql.end({ timeout: 5 });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    fail('crashed', { err });
    process.exit(1);
  },
);
