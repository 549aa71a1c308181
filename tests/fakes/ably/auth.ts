import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { jwtVerify, decodeProtectedHeader } from 'jose';
import { z } from 'zod';
import { LIMITS, wireError, type WireError } from './protocol';

// Credentials: the app key (basic auth), Ably tokens issued from signed
// TokenRequests, and Ably JWTs signed with the key secret. Every credential
// resolves to one Grant: a clientId (or none / wildcard) and a capability.

export type Operation = 'subscribe' | 'publish' | 'presence' | 'history' | '*';
/** Resource pattern (`depot:*`, `*`, exact name) → operations. */
export type Capability = Record<string, string[]>;

export interface Grant {
  clientId: string | null;
  capability: Capability;
  expires: number | null;
}

export interface AppKey {
  keyName: string;
  secret: string;
}

export function parseApiKey(apiKey: string): AppKey {
  const match = /^([^.:]+\.[^.:]+):(.+)$/.exec(apiKey);
  if (!match) throw new Error(`Not an Ably API key (expected "appId.keyId:secret"): ${apiKey}`);
  return { keyName: match[1], secret: match[2] };
}

const capabilitySchema = z.record(z.string(), z.array(z.string()));

function parseCapability(text: string | undefined): Capability | WireError {
  if (!text) return { '*': ['*'] };
  try {
    const parsed = capabilitySchema.safeParse(JSON.parse(text));
    return parsed.success
      ? parsed.data
      : wireError('badRequest', `Invalid capability: ${parsed.error.issues[0]?.message}`);
  } catch {
    return wireError('badRequest', 'Invalid capability: not JSON');
  }
}

function resourceMatches(pattern: string, channel: string): boolean {
  if (pattern === '*' || pattern === channel) return true;
  return pattern.endsWith('*') && channel.startsWith(pattern.slice(0, -1));
}

/** The operations a capability allows on a channel. */
export function operationsOn(capability: Capability, channel: string): Set<Operation> {
  const ops = new Set<Operation>();
  for (const [pattern, granted] of Object.entries(capability)) {
    if (!resourceMatches(pattern, channel)) continue;
    for (const op of granted) {
      if (op === '*') ['subscribe', 'publish', 'presence', 'history'].forEach((o) => ops.add(o as Operation));
      else ops.add(op as Operation);
    }
  }
  return ops;
}

export const tokenRequestSchema = z.object({
  keyName: z.string(),
  ttl: z.union([z.number(), z.string()]).optional(),
  capability: z.string().optional(),
  clientId: z.string().optional(),
  timestamp: z.number(),
  nonce: z.string().min(16),
  mac: z.string(),
});

function sign(text: string, secret: string): string {
  return createHmac('sha256', secret).update(text).digest('base64');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface TokenDetails {
  token: string;
  keyName: string;
  issued: number;
  expires: number;
  capability: string;
  clientId?: string;
}

/** Issues and checks credentials for one app key. */
export class Authority {
  private readonly tokens = new Map<string, Grant>();
  private readonly usedNonces = new Set<string>();

  constructor(readonly key: AppKey) {}

  /** POST /keys/:keyName/requestToken with a signed TokenRequest. */
  redeemTokenRequest(keyName: string, body: unknown, now = Date.now()): TokenDetails | WireError {
    const parsed = tokenRequestSchema.safeParse(body);
    if (!parsed.success) return wireError('badRequest', `Invalid TokenRequest: ${parsed.error.issues[0]?.message}`);
    const request = parsed.data;
    if (keyName !== this.key.keyName || request.keyName !== this.key.keyName)
      return wireError('invalidCredentials', `No such key: ${request.keyName}`);
    const ttl = request.ttl === undefined ? '' : String(request.ttl);
    const signText = [
      request.keyName,
      ttl,
      request.capability ?? '',
      request.clientId ?? '',
      request.timestamp,
      request.nonce,
      '',
    ].join('\n');
    if (!sameText(sign(signText, this.key.secret), request.mac))
      return wireError('invalidCredentials', 'Invalid TokenRequest: mac does not match');
    if (Math.abs(now - request.timestamp) > LIMITS.tokenRequestMaxAgeMs)
      return wireError('invalidCredentials', 'Invalid TokenRequest: timestamp not current');
    if (this.usedNonces.has(request.nonce))
      return wireError('invalidCredentials', 'Invalid TokenRequest: nonce already used');
    this.usedNonces.add(request.nonce);
    const capability = parseCapability(request.capability);
    if (isWireError(capability)) return capability;
    const expires = now + (ttl ? Number(ttl) : LIMITS.defaultTokenTtlMs);
    const token = `${this.key.keyName.split('.')[0]}.${randomBytes(18).toString('base64url')}`;
    this.tokens.set(token, { clientId: request.clientId ?? null, capability, expires });
    return {
      token,
      keyName: this.key.keyName,
      issued: now,
      expires,
      capability: JSON.stringify(capability),
      ...(request.clientId ? { clientId: request.clientId } : {}),
    };
  }

  /** A token string: one we issued, or an Ably JWT signed with the key secret. */
  async grantForToken(token: string, now = Date.now()): Promise<Grant | WireError> {
    const issued = this.tokens.get(token);
    if (issued)
      return issued.expires !== null && issued.expires <= now ? wireError('tokenExpired', 'Token expired') : issued;
    if (token.split('.').length !== 3) return wireError('invalidToken', 'Invalid token: not issued by this server');
    try {
      const header = decodeProtectedHeader(token);
      if (header.kid !== this.key.keyName)
        return wireError('invalidToken', `Invalid JWT: kid must be the key name ${this.key.keyName}`);
      const { payload } = await jwtVerify(token, new TextEncoder().encode(this.key.secret), {
        algorithms: ['HS256'],
        currentDate: new Date(now),
      });
      const capabilityClaim = payload['x-ably-capability'];
      const capability = parseCapability(
        typeof capabilityClaim === 'string'
          ? capabilityClaim
          : capabilityClaim === undefined
            ? undefined
            : JSON.stringify(capabilityClaim),
      );
      if (isWireError(capability)) return capability;
      const clientId = payload['x-ably-clientId'];
      return {
        clientId: typeof clientId === 'string' ? clientId : null,
        capability,
        expires: payload.exp ? payload.exp * 1000 : null,
      };
    } catch (err) {
      const expired = (err as { code?: string }).code === 'ERR_JWT_EXPIRED';
      return expired
        ? wireError('tokenExpired', 'Token expired')
        : wireError('invalidToken', `Invalid JWT: ${(err as Error).message}`);
    }
  }

  /** Basic auth with the full key: every capability, any clientId. */
  grantForKey(apiKey: string): Grant | WireError {
    return apiKey === `${this.key.keyName}:${this.key.secret}`
      ? { clientId: '*', capability: { '*': ['*'] }, expires: null }
      : wireError('invalidCredentials', 'Invalid key');
  }
}

export function isWireError(value: unknown): value is WireError {
  return typeof value === 'object' && value !== null && 'code' in value && 'statusCode' in value && 'message' in value;
}
