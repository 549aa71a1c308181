// PostgREST's error body ({ code, message, details, hint }) and its mapping of
// SQLSTATE codes to HTTP statuses (PostgREST 13, src/PostgREST/Error.hs).
import { FuzzySet } from './schema/fuzzy';

/** PostgREST's details: usually text; for PGRST201, the candidate relationships. */
export type RestErrorDetails = string | Record<string, string>[] | null;

export interface RestErrorBody {
  code: string;
  message: string;
  details: RestErrorDetails;
  hint: string | null;
}

export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: RestErrorDetails = null,
    readonly hint: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'RestError';
  }

  get body(): RestErrorBody {
    return { code: this.code, message: this.message, details: this.details, hint: this.hint };
  }
}

/** PGRST100: a query string parameter that does not parse. */
export function parseError(what: string, raw: string, details: string): RestError {
  return new RestError(400, 'PGRST100', `"failed to parse ${what} (${raw})"`, details);
}

/** PGRST204: a column to write that the relation does not have. */
export function columnNotFound(table: string, column: string): RestError {
  return new RestError(400, 'PGRST204', `Could not find the '${column}' column of '${table}' in the schema cache`);
}

/** PGRST205, with the closest table name (PostgREST's fuzzy match) as a hint. */
export function tableNotFound(schema: string, table: string, tables: Iterable<string>): RestError {
  const suggestion = new FuzzySet(tables).getOne(table);
  return new RestError(
    404,
    'PGRST205',
    `Could not find the table '${schema}.${table}' in the schema cache`,
    null,
    suggestion ? `Perhaps you meant the table '${schema}.${suggestion}'` : null,
  );
}

export function invalidBody(message: string): RestError {
  return new RestError(400, 'PGRST102', message);
}

export function singularityError(rows: number): RestError {
  return new RestError(
    406,
    'PGRST116',
    'Cannot coerce the result to a single JSON object',
    `The result contains ${rows} rows`,
  );
}

/** PGRST124: `Prefer: handling=strict, max-affected=n` and the write (or call) touched more rows. */
export function maxAffectedError(rows: number): RestError {
  return new RestError(
    400,
    'PGRST124',
    'Query result exceeds max-affected preference constraint',
    `The query affects ${rows} rows`,
  );
}

/** PGRST128: max-affected with handling=strict on a function that does not return a set. */
export function maxAffectedRpcError(): RestError {
  return new RestError(
    400,
    'PGRST128',
    'Function must return SETOF or TABLE when max-affected preference is used with handling=strict',
  );
}

/** The fields of an error raised by Postgres, as the `postgres` client exposes them. */
interface PgErrorLike {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

export function isPgError(err: unknown): err is PgErrorLike {
  return (
    err instanceof Error &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (err as { name?: string }).name === 'PostgresError'
  );
}

function statusOfSqlState(code: string, message: string, anonymous: boolean): number {
  const exact: Record<string, number> = {
    '23503': 409,
    '23505': 409,
    '25006': 405,
    '53400': 500,
    '57P01': 503,
    P0001: 400,
    '42883': message.startsWith('function xmlagg(') ? 406 : 404,
    '42P01': 404,
    '42P17': 500,
  };
  if (code === '42501') return anonymous ? 401 : 403;
  if (code === '21000') return message.endsWith('requires a WHERE clause') ? 400 : 500;
  if (code === '22023') return message.startsWith('role') && message.endsWith('does not exist') ? 401 : 400;
  if (code in exact) return exact[code];
  const prefixes: [string, number][] = [
    ['08', 503],
    ['09', 500],
    ['0L', 403],
    ['0P', 403],
    ['25', 500],
    ['28', 403],
    ['2D', 500],
    ['38', 500],
    ['39', 500],
    ['3B', 500],
    ['40', 500],
    ['53', 503],
    ['54', 500],
    ['55', 500],
    ['57', 500],
    ['58', 500],
    ['F0', 500],
    ['HV', 500],
    ['P0', 500],
    ['XX', 500],
  ];
  for (const [prefix, status] of prefixes) if (code.startsWith(prefix)) return status;
  if (code.startsWith('PT')) {
    const status = /^PT(\d{3})$/.exec(code);
    return status ? Number(status[1]) : 500;
  }
  return 400;
}

/** Converts an error raised by Postgres into PostgREST's response for it. */
export function fromPgError(err: PgErrorLike, anonymous: boolean): RestError {
  const status = statusOfSqlState(err.code, err.message, anonymous);
  const headers: Record<string, string> = status === 401 ? { 'www-authenticate': 'Bearer' } : {};
  return new RestError(status, err.code, err.message, err.detail ?? null, err.hint ?? null, headers);
}
