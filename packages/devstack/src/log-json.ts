import { z } from 'zod';

// Service logs of the dev stack's gateway. DEVSTACK_LOG_FORMAT=json writes one
// JSON object per line ({time, level, msg, service, request_id, …}) for log
// shippers; the default stays the human-readable "[service] message" lines.

export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;
export type LogFormat = 'text' | 'json';
/** Where finished lines go (tests capture them); the default writes to stdout / stderr. */
export type LogSink = (line: string, level: LogLevel) => void;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
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

/** Errors become {name, message, stack, code}: JSON.stringify would turn them into {}. */
function plain(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const code = (value as { code?: unknown }).code;
  return { name: value.name, message: value.message, ...(code !== undefined ? { code } : {}), stack: value.stack };
}

function textLine(service: string, msg: string, fields: LogFields): string {
  let error = '';
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (value instanceof Error) error = `\n${value.stack ?? `${value.name}: ${value.message}`}`;
    else pairs.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return `[${service}] ${msg}${pairs.length ? ` ${pairs.join(' ')}` : ''}${error}`;
}

export function createLogger(options: { service: string; format?: LogFormat; sink?: LogSink }): Logger {
  const { service, format = 'text', sink = defaultSink } = options;
  const write = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (format === 'text') return sink(textLine(service, msg, fields), level);
    const record: LogFields = { time: new Date().toISOString(), level, msg, service };
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) record[key] = plain(value);
    sink(
      JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)),
      level,
    );
  };
  return {
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
  };
}
