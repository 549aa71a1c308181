// Writing responses: bodies that Postgres already serialized, with the media
// type negotiated for the request, and errors in PostgREST's shape.
import type { ServerResponse } from 'node:http';
import type { RestError } from './errors';

export const JSON_TYPE = 'application/json; charset=utf-8';

/** Sends `body` (or nothing) with `headers`; a body gets `contentType` unless the headers name one. */
export function send(
  res: ServerResponse,
  status: number,
  body: string | null,
  headers: Record<string, string>,
  head = false,
  contentType = JSON_TYPE,
): void {
  const out: Record<string, string> = { ...headers };
  if (body !== null) {
    out['content-type'] ??= contentType;
    out['content-length'] = Buffer.byteLength(body).toString();
  } else {
    out['content-length'] = '0';
  }
  res.writeHead(status, out);
  res.end(head || body === null ? undefined : body);
}

export function sendError(res: ServerResponse, err: RestError, head = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(
    res,
    err.status,
    JSON.stringify(err.body),
    { ...err.headers, 'proxy-status': `PostgREST; error=${err.code}` },
    head,
  );
}
