import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Hub } from './hub';
import { byteLength, LIMITS } from './protocol';
import { hmacHex, md5Hex, restSigningString, safeEqual } from './signature';

// The HTTP API the `pusher` server SDK calls: POST /apps/:id/events and
// /apps/:id/batch_events, signed with auth_key, auth_timestamp, auth_version,
// body_md5 and auth_signature (HMAC-SHA256 of "POST\n<path>\n<sorted query>").

const channelName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_\-=@,.;]+$/, 'invalid channel name');

const eventSchema = z
  .object({
    name: z.string().min(1).max(200),
    data: z.string(),
    channel: channelName.optional(),
    channels: z.array(channelName).min(1).max(LIMITS.channelsPerTrigger).optional(),
    socket_id: z
      .string()
      .regex(/^\d+\.\d+$/)
      .optional(),
  })
  .refine((e) => (e.channel === undefined) !== (e.channels === undefined), 'give exactly one of channel or channels');

const batchSchema = z.object({
  batch: z
    .array(
      z.object({
        name: z.string().min(1).max(200),
        data: z.string(),
        channel: channelName,
        socket_id: z.string().optional(),
      }),
    )
    .min(1)
    .max(LIMITS.eventsPerBatch),
});

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'text/plain' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Null when the request is signed by this app, else why not. */
function signatureProblem(hub: Hub, method: string, path: string, query: URLSearchParams, body: string): string | null {
  const missing = ['auth_key', 'auth_timestamp', 'auth_version', 'auth_signature'].filter((k) => !query.get(k));
  if (missing.length) return `Missing ${missing.join(', ')}`;
  if (query.get('auth_key') !== hub.app.key) return 'Unknown auth_key';
  if (query.get('auth_version') !== '1.0') return 'auth_version must be 1.0';
  const skew = Math.abs(Date.now() / 1000 - Number(query.get('auth_timestamp')));
  if (!(skew <= LIMITS.timestampSkewSeconds))
    return `Timestamp expired: auth_timestamp is more than ${LIMITS.timestampSkewSeconds} s from the server time`;
  if (body && query.get('body_md5') !== md5Hex(body)) return 'body_md5 does not match the body';
  const expected = hmacHex(hub.app.secret, restSigningString(method, path, query));
  return safeEqual(query.get('auth_signature') ?? '', expected)
    ? null
    : `Invalid signature: you should have sent HmacSHA256Hex(${JSON.stringify(restSigningString(method, path, query))}, your_secret_key)`;
}

export async function handleRest(hub: Hub, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake');
  const prefix = `/apps/${hub.app.appId}/`;
  const route = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : null;
  if (route === null || !['events', 'batch_events'].includes(route)) return reply(res, 404, 'Not found');
  if (req.method !== 'POST') return reply(res, 405, 'Method not allowed');
  const body = await readBody(req);
  const problem = signatureProblem(hub, 'POST', url.pathname, url.searchParams, body);
  if (problem) return reply(res, 401, problem);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return reply(res, 400, 'Request body is not valid JSON');
  }

  if (route === 'events') {
    const event = eventSchema.safeParse(json);
    if (!event.success) return reply(res, 400, `Invalid event: ${event.error.issues.map((i) => i.message).join('; ')}`);
    if (byteLength(event.data.data) > LIMITS.messageBytes)
      return reply(res, 413, `Payload too large: data is over ${LIMITS.messageBytes} bytes`);
    for (const channel of event.data.channels ?? [event.data.channel ?? ''])
      hub.publish(channel, event.data.name, event.data.data, event.data.socket_id);
    return reply(res, 200, {});
  }
  const batch = batchSchema.safeParse(json);
  if (!batch.success) return reply(res, 400, `Invalid batch: ${batch.error.issues.map((i) => i.message).join('; ')}`);
  if (batch.data.batch.some((e) => byteLength(e.data) > LIMITS.messageBytes))
    return reply(res, 413, `Payload too large: an event's data is over ${LIMITS.messageBytes} bytes`);
  for (const e of batch.data.batch) hub.publish(e.channel, e.name, e.data, e.socket_id);
  return reply(res, 200, {});
}
