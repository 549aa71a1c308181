import pino from 'pino';
import { prettyFactory } from 'pino-pretty';
import { z } from 'zod';

// The relay's logs, through pino. In production (a container, a VM: stdout is
// not a terminal, or NODE_ENV=production) one JSON object per line for the log
// shipper: {level, time, service: "relay", msg, …fields}. In a terminal the
// same records, made readable by pino-pretty. RELAY_LOG_FORMAT=json|text
// overrides the choice.

/** What the relay logs through: pino's own API (fields first, then the message). */
export type RelayLogger = Pick<pino.BaseLogger, 'info' | 'warn' | 'error'>;
export type RelayLogFormat = 'json' | 'text';

const formatSchema = z.enum(['json', 'text'], { error: 'RELAY_LOG_FORMAT must be "json" or "text"' }).optional();

/** RELAY_LOG_FORMAT when set; else text in an interactive terminal outside production, json otherwise. */
export function readRelayLogFormat(
  env: Readonly<Record<string, string | undefined>>,
  interactive = Boolean(process.stdout.isTTY),
): RelayLogFormat {
  const raw = env.RELAY_LOG_FORMAT?.trim() || undefined;
  const parsed = formatSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${parsed.error.issues[0].message} (got "${raw}")`);
  return parsed.data ?? (interactive && env.NODE_ENV !== 'production' ? 'text' : 'json');
}

/**
 * The relay's pino logger. `write` receives each finished line (default
 * stdout; tests capture it). Records: `level` by name, ISO `time`, `service`.
 */
const toStdout = (line: string) => void process.stdout.write(line);

export function createRelayLogger(format: RelayLogFormat, write: (line: string) => void = toStdout): pino.Logger {
  const prettify =
    format === 'text'
      ? prettyFactory({
          colorize: write === toStdout && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
          singleLine: true,
          ignore: 'service',
          translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
          messageFormat: '[{service}] {msg}',
        })
      : null;
  return pino(
    {
      level: 'info',
      base: { service: 'relay' },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (line: string) => write(prettify ? prettify(line) : line) },
  );
}

/** A logger that drops everything (tests and embedded relays that report through events). */
export const silentLogger: RelayLogger = pino({ enabled: false });
