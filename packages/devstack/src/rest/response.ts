// Writing responses: JSON bodies that Postgres already serialized, Content-Range
// as PostgREST computes it, and errors in PostgREST's shape.
import type { ServerResponse } from 'node:http';
import type { RestError } from './errors';

export const JSON_TYPE = 'application/json; charset=utf-8';

export function send(
  res: ServerResponse,
  status: number,
  body: string | null,
  headers: Record<string, string>,
  head = false,
): void {
  const out: Record<string, string> = { ...headers };
  if (body !== null) {
    out['content-type'] = JSON_TYPE;
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

/**
 * Content-Range and status of a read: `0-24/60` (206 when the page is not the
 * whole result and the total is known), `*\/0` for nothing, `0-24/*` without a count.
 */
export function rangeOf(
  offset: number,
  pageRows: number,
  total: number | null,
): { status: number; contentRange: string } {
  const upper = offset + pageRows - 1;
  const range = total !== 0 && offset <= upper ? `${offset}-${upper}` : '*';
  const contentRange = `${range}/${total ?? '*'}`;
  if (total === null) return { status: 200, contentRange };
  if (offset > total) return { status: 416, contentRange };
  return { status: 1 + upper - offset < total ? 206 : 200, contentRange };
}
