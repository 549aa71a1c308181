import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, HttpError, readBody, sendJson } from '../gateway/http';
import type { RealtimeContext } from './context';
import { canWrite } from './extensions/authorization';
import { TopicHub } from './hub';
import { restBroadcastSchema } from './messages';
import type { BroadcastBody } from './serializer';
import { verifyChannelToken, type Claims } from './tokens';

// POST /realtime/v1/api/broadcast            {"messages":[{topic, event, payload, private}]}
// POST /realtime/v1/api/broadcast/:topic/events/:event[?private=true]   (httpSend)
// 202 on success; unauthorized private messages are dropped silently.

async function authenticate(ctx: RealtimeContext, req: IncomingMessage): Promise<Claims> {
  const header = req.headers.apikey;
  const token = bearerToken(req) ?? (typeof header === 'string' ? header : null);
  const verified = token ? await verifyChannelToken(token, ctx.verifier) : null;
  if (!verified?.ok) throw new HttpError(401, { message: 'Unauthorized' });
  return verified.claims;
}

async function send(
  ctx: RealtimeContext,
  claims: Claims,
  topic: string,
  event: string,
  body: BroadcastBody,
  isPrivate: boolean,
) {
  if (isPrivate && !(await canWrite(ctx.sql, topic, claims, 'broadcast'))) return;
  ctx.hub.broadcast(TopicHub.key(topic, isPrivate), { event, body, binaryFrame: body.kind === 'binary' });
}

export async function handleBroadcastRequest(
  ctx: RealtimeContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  url: URL,
): Promise<void> {
  if (req.method !== 'POST') throw new HttpError(405, { message: 'Method not allowed' });
  const claims = await authenticate(ctx, req);
  const tooLarge = () => new HttpError(413, { message: 'Payload too large' });
  const raw = await readBody(req, ctx.limits.maxPayloadBytes + 64 * 1024, tooLarge);
  if (!ctx.eventRate.hit()) throw new HttpError(429, { message: 'Too many requests' });

  const single = /^\/api\/broadcast\/([^/]+)\/events\/([^/]+)$/.exec(path);
  if (single) {
    const isBinary = (req.headers['content-type'] ?? '').startsWith('application/octet-stream');
    let body: BroadcastBody;
    if (isBinary) body = { kind: 'binary', bytes: raw };
    else {
      try {
        body = { kind: 'json', value: JSON.parse(raw.toString('utf8')) };
      } catch {
        throw new HttpError(422, { message: 'Invalid JSON body' });
      }
    }
    await send(
      ctx,
      claims,
      decodeURIComponent(single[1]),
      decodeURIComponent(single[2]),
      body,
      url.searchParams.get('private') === 'true',
    );
    sendJson(res, 202, undefined);
    return;
  }
  if (path !== '/api/broadcast') throw new HttpError(404, { message: 'Not found' });
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(422, { message: 'Invalid JSON body' });
  }
  const parsed = restBroadcastSchema.safeParse(json);
  if (!parsed.success)
    throw new HttpError(422, { message: 'Invalid message format', errors: parsed.error.issues.map((i) => i.message) });
  for (const m of parsed.data.messages) {
    await send(ctx, claims, m.topic, m.event, { kind: 'json', value: m.payload ?? {} }, m.private ?? false);
  }
  sendJson(res, 202, undefined);
}
