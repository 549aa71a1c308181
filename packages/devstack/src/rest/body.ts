// Request bodies: size-limited (413), JSON only (415 otherwise), and parsed
// with PostgREST's PGRST102 for anything that is not valid JSON.
import type { IncomingMessage } from 'node:http';
import { HttpError, readBody } from '../gateway/http';
import { invalidBody, RestError } from './errors';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tooLarge(limit: number): RestError {
  return new RestError(
    413,
    'PAYLOAD_TOO_LARGE',
    `Request body is larger than the limit of ${limit} bytes`,
    null,
    'Send less data per request, or raise DEVSTACK_REST_MAX_BODY.',
    {
      connection: 'close',
    },
  );
}

/** Reads and parses the JSON body; `undefined` when there is none. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<JsonValue | undefined> {
  const type = req.headers['content-type'];
  if (type && !/^application\/(json|vnd\.pgrst\.[a-z+.]*json)\b/i.test(type)) {
    // Drain what was sent so the client reads this answer rather than a reset.
    req.resume();
    throw new RestError(415, 'PGRST107', `None of these media types are available: ${type.split(';')[0]}`);
  }
  let raw: Buffer;
  try {
    raw = await readBody(req, limit, () => new HttpError(413, {}));
  } catch (err) {
    if (err instanceof HttpError && err.status === 413) {
      req.resume();
      throw tooLarge(limit);
    }
    throw err;
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw invalidBody('Empty or invalid json');
  }
}
