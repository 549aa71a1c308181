// Request bodies as PostgREST 13 reads them (src/PostgREST/ApiRequest.hs
// getPayload): JSON (an object, or an array of objects with the same keys;
// any other JSON value counts as an empty array), form-urlencoded (strings),
// and for a function's single unnamed parameter raw text, XML or bytes.
// Size-limited (413); other content types are PGRST102.
import type { IncomingMessage } from 'node:http';
import { HttpError, readBody } from '../gateway/http';
import { invalidBody, RestError } from './errors';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type RawMime = 'text/plain' | 'text/xml' | 'application/octet-stream';

export type RequestBody =
  | { kind: 'json'; text: string }
  | { kind: 'form'; params: [string, string][] }
  | { kind: 'raw'; mime: RawMime; data: Buffer };

function tooLarge(limit: number): RestError {
  return new RestError(
    413,
    'PAYLOAD_TOO_LARGE',
    `Request body is larger than the limit of ${limit} bytes`,
    null,
    'Send less data per request, or raise DEVSTACK_REST_MAX_BODY.',
    { connection: 'close' },
  );
}

function mimeOf(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
}

/** Reads the body whatever its type; `accepts` lists the raw types this endpoint takes. */
export async function readRequestBody(req: IncomingMessage, limit: number, acceptsRaw: boolean): Promise<RequestBody> {
  const mime = mimeOf(req);
  const raw = ['text/plain', 'text/xml', 'application/octet-stream'].includes(mime);
  const json = mime === 'application/json' || /^application\/vnd\.pgrst\.[a-z+.]*json$/.test(mime);
  if (!json && mime !== 'application/x-www-form-urlencoded' && !(raw && acceptsRaw)) {
    req.resume();
    throw invalidBody(`Content-Type not acceptable: ${mime}`);
  }
  let data: Buffer;
  try {
    data = await readBody(req, limit, () => new HttpError(413, {}));
  } catch (err) {
    if (err instanceof HttpError && err.status === 413) {
      req.resume();
      throw tooLarge(limit);
    }
    throw err;
  }
  if (raw) return { kind: 'raw', mime: mime as RawMime, data };
  if (mime === 'application/x-www-form-urlencoded')
    return { kind: 'form', params: [...new URLSearchParams(data.toString('utf8'))] };
  return { kind: 'json', text: data.toString('utf8') };
}

export function parseJson(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw invalidBody('Empty or invalid json');
  }
}

/**
 * PostgREST's payloadAttributes: the keys of an object, or of an array's
 * objects when they all have the same; any other value is an empty array.
 */
export function payloadOf(value: JsonValue): { json: string; isObject: boolean; keys: string[] } {
  if (isJsonObject(value)) return { json: JSON.stringify(value), isObject: true, keys: Object.keys(value) };
  if (Array.isArray(value)) {
    if (value.length === 0) return { json: '[]', isObject: false, keys: [] };
    const first = value[0];
    if (!isJsonObject(first)) throw invalidBody('All object keys must match');
    const canonical = [...new Set(Object.keys(first))].sort().join('\u0000');
    const uniform = value.every(
      (v) => isJsonObject(v) && [...new Set(Object.keys(v))].sort().join('\u0000') === canonical,
    );
    if (!uniform) throw invalidBody('All object keys must match');
    return { json: JSON.stringify(value), isObject: false, keys: Object.keys(first) };
  }
  return { json: '[]', isObject: false, keys: [] };
}

/** Whether raw JSON text holds an object (its first significant character), as PostgREST checks it. */
export function looksLikeObject(text: string): boolean {
  return text.trimStart().startsWith('{');
}
