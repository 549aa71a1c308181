import pino from 'pino';
import { prettyFactory } from 'pino-pretty';
import { z } from 'zod';

// Service logs of the dev stack (gateway, auth, rest, realtime), through pino.
// DEVSTACK_LOG_FORMAT=json writes pino's one JSON object per line ({level, time,
// service, msg, request_id, …}) for log shippers; the default, text, is the
// same record made readable by pino-pretty on one line:
//   ERROR: [gateway] request failed {"request_id":"r1","status":502}

export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;
export type LogFormat = 'text' | 'json';
/** Where finished lines go (tests capture them); the default writes info to stdout, warn and error to stderr. */
export type LogSink = (line: string, level: LogLevel) => void;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every record (e.g. `{ service: 'rest' }`); a record's own fields win. */
  child(fields: LogFields): Logger;
}

const formatSchema = z
  .enum(['text', 'json'], { error: 'DEVSTACK_LOG_FORMAT must be "text" or "json"' })
  .default('text');

/** Reads DEVSTACK_LOG_FORMAT; throws with the allowed values when it is something else. */
export function readLogFormat(env: Readonly<Record<string, string | undefined>>): LogFormat {
  const raw = env.DEVSTACK_LOG_FORMAT?.trim();
  const parsed = formatSchema.safeParse(raw === '' ? undefined : raw);
  if (!parsed.success) throw new Error(`${parsed.error.issues[0].message} (got "${raw}")`);
  return parsed.data;
}

const defaultSink: LogSink = (line, level) => {
  if (level === 'info') process.stdout.write(`${line}\n`);
  else process.stderr.write(`${line}\n`);
};

/** Errors become {name, message, code, stack} wherever they sit: JSON would turn them into {}. */
function plain(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const code = (value as { code?: unknown }).code;
  return { name: value.name, message: value.message, ...(code !== undefined ? { code } : {}), stack: value.stack };
}

/**
 * pino's output, routed by level to the sink (pino.multistream with dedupe: each
 * record to exactly one stream) and, for text, prettified on the way.
 */
function destination(format: LogFormat, sink: LogSink): pino.DestinationStream {
  const prettify =
    format === 'text'
      ? prettyFactory({
          colorize: sink === defaultSink && process.stderr.isTTY && !process.env.NO_COLOR,
          singleLine: true,
          ignore: 'time,service',
          messageFormat: '{if service}[{service}] {end}{msg}',
        })
      : null;
  const stream = (level: LogLevel): pino.DestinationStream => ({
    write(line: string) {
      const text = prettify ? prettify(line) : line;
      sink(text.endsWith('\n') ? text.slice(0, -1) : text, level);
    },
  });
  return pino.multistream(
    [
      { level: 'info', stream: stream('info') },
      { level: 'warn', stream: stream('warn') },
      { level: 'error', stream: stream('error') },
    ],
    { dedupe: true },
  );
}

function wrap(base: pino.Logger, bindings: LogFields): Logger {
  const write = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    const record: LogFields = {};
    for (const [key, value] of Object.entries({ ...bindings, ...fields }))
      if (value !== undefined) record[key] = plain(value);
    base[level](record, msg);
  };
  return {
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (fields) => wrap(base, { ...bindings, ...fields }),
  };
}

/**
 * A pino logger with the dev stack's record shape: `level` as a name, `time` as
 * ISO 8601, `msg`, then the logger's and the call's fields (no pid or hostname).
 * `service` names the part of the stack that writes (gateway, auth, rest, realtime).
 */
export function createLogger(options: { service?: string; format?: LogFormat; sink?: LogSink } = {}): Logger {
  const { service, format = 'text', sink = defaultSink } = options;
  const base = pino(
    {
      level: 'info',
      base: undefined,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Ours rather than pino's (which names the class `type`): the same shape for `err` and any other key.
      serializers: { err: plain },
    },
    destination(format, sink),
  );
  return wrap(base, service ? { service } : {});
}

let processLogger: Logger | null = null;

/** The process-wide logger (format from DEVSTACK_LOG_FORMAT), for code that was not handed one. */
export function defaultLogger(): Logger {
  processLogger ??= createLogger({ format: readLogFormat(process.env) });
  return processLogger;
}
