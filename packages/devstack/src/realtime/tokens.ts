import { decodeJwt } from 'jose';
import { JwtError, verifyJwt } from '../keys';

export interface Claims {
  role: string;
  exp: number;
  sub?: string;
  [claim: string]: unknown;
}

export type TokenResult =
  | { ok: true; claims: Claims }
  | { ok: false; code: 'InvalidJWTToken' | 'JwtSignatureError' | 'MalformedJWT'; message: string };

/**
 * Verifies a channel token as Realtime does: HS256 signature with the stack's
 * secret, and both `role` and `exp` present. Messages are Realtime's own.
 */
export async function verifyChannelToken(token: string, secret: string): Promise<TokenResult> {
  let decoded: Record<string, unknown>;
  try {
    decoded = decodeJwt(token);
  } catch {
    return { ok: false, code: 'MalformedJWT', message: 'The token provided is not a valid JWT' };
  }
  if (typeof decoded.role !== 'string' || typeof decoded.exp !== 'number') {
    return { ok: false, code: 'InvalidJWTToken', message: 'Fields `role` and `exp` are required in JWT' };
  }
  try {
    const claims = await verifyJwt(token, secret);
    return { ok: true, claims: claims as Claims };
  } catch (err) {
    if (err instanceof JwtError && err.reason === 'expired') {
      return { ok: false, code: 'InvalidJWTToken', message: expiredMessage(decoded.exp) };
    }
    return { ok: false, code: 'JwtSignatureError', message: 'Failed to validate JWT signature' };
  }
}

export function expiredMessage(exp: number): string {
  return `Token has expired ${Math.max(0, Math.floor(Date.now() / 1000) - exp)} seconds ago`;
}
