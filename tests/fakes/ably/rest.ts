import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { operationsOn, isWireError, type Authority, type Grant } from './auth';
import type { ChannelHub } from './channels';
import { LIMITS, messageSize, wireError, wireMessageSchema, type WireError } from './protocol';

// The REST endpoints the official SDKs call: token requests (authCallback /
// authUrl flows) and channel publish (ably Rest `channel.publish`, the relay).

const MAX_BODY = 1_048_576;

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function replyError(res: ServerResponse, error: WireError): void {
  res.writeHead(error.statusCode, {
    'content-type': 'application/json',
    'x-ably-errorcode': String(error.code),
    'x-ably-errormessage': error.message,
  });
  res.end(JSON.stringify({ error }));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

async function credentials(req: IncomingMessage, authority: Authority): Promise<Grant | WireError> {
  const header = req.headers.authorization ?? '';
  const [scheme, value = ''] = header.split(' ');
  if (scheme === 'Basic') return authority.grantForKey(Buffer.from(value, 'base64').toString('utf8'));
  if (scheme === 'Bearer') return authority.grantForToken(Buffer.from(value, 'base64').toString('utf8'));
  return wireError('unauthorized', 'Authentication required: Basic (API key) or Bearer (token)');
}

const publishBodySchema = z.union([wireMessageSchema, z.array(wireMessageSchema).min(1)]);

export async function handleRest(
  req: IncomingMessage,
  res: ServerResponse,
  authority: Authority,
  hub: ChannelHub,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake-ably');
  // Browsers call Ably's REST API cross-origin (ably-js requests its token
  // there); Ably answers CORS for any origin, preflights included.
  res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
  if (req.headers.origin) res.setHeader('vary', 'Origin');
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '',
      'access-control-max-age': '86400',
    });
    res.end();
    return;
  }
  try {
    if (req.method === 'GET' && url.pathname === '/time') return reply(res, 200, [Date.now()]);

    const tokenRoute = /^\/keys\/([^/]+)\/requestToken$/.exec(url.pathname);
    if (req.method === 'POST' && tokenRoute) {
      const details = authority.redeemTokenRequest(decodeURIComponent(tokenRoute[1]), await readJson(req));
      return isWireError(details) ? replyError(res, details) : reply(res, 200, details);
    }

    const publishRoute = /^\/channels\/([^/]+)\/messages$/.exec(url.pathname);
    if (req.method === 'POST' && publishRoute) {
      const channel = decodeURIComponent(publishRoute[1]);
      const grant = await credentials(req, authority);
      if (isWireError(grant)) return replyError(res, grant);
      if (!operationsOn(grant.capability, channel).has('publish')) {
        return replyError(
          res,
          wireError('operationNotPermitted', `Unable to perform channel operation (operation = publish) on ${channel}`),
        );
      }
      const parsed = publishBodySchema.safeParse(await readJson(req));
      if (!parsed.success)
        return replyError(res, wireError('badRequest', `Invalid message: ${parsed.error.issues[0]?.message}`));
      const messages = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
      const total = messages.reduce((sum, m) => sum + messageSize(m), 0);
      if (total > LIMITS.maxMessageSize)
        return replyError(
          res,
          wireError('messageTooLarge', `Maximum message length exceeded: ${total} bytes > ${LIMITS.maxMessageSize}`),
        );
      const id = `rest-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      hub.publish(
        channel,
        null,
        messages.map((m, i) => ({ ...m, id: m.id ?? `${id}:${i}` })),
      );
      return reply(res, 201, { channel, messageId: id, serials: messages.map((_, i) => `${id}:${i}`) });
    }

    return replyError(res, wireError('notFound', `No route for ${req.method} ${url.pathname}`));
  } catch (err) {
    return replyError(res, wireError('badRequest', `Malformed request: ${(err as Error).message}`));
  }
}
