import { decodeJwt } from 'jose';
import { JwtError, type TokenVerifier } from '../jwt';

export interface Claims {
  role: string;
  exp: number;
  sub?: string;
  [claim: string]: unknown;
}

export type TokenResult =
  | { ok: true; claims: Claims }
  | {
      ok: false;
      code: 'InvalidJWTToken' | 'JwtSignatureError' | 'JwtSignerError' | 'MalformedJWT';
      message: string;
    };

const MISSING_CLAIMS = 'Fields `role` and `exp` are required in JWT';
const SIGNER = 'check your JWT secret or JWKS configuration';

/**
 * Verifies a channel token as Realtime does (RealtimeWeb.JwtVerification and
 * ChannelsAuthorization.authorize_conn): the signer comes from the header
 * (ES256 needs a kid of the JWKS, HS256 the secret, anything else has none),
 * then signature and exp, then `role` and `exp` must be present. Codes and
 * messages are Realtime's own.
 */
export async function verifyChannelToken(token: string, verifier: TokenVerifier): Promise<TokenResult> {
  let decoded: Record<string, unknown>;
  try {
    decoded = decodeJwt(token);
  } catch {
    return { ok: false, code: 'MalformedJWT', message: 'The token provided is not a valid JWT' };
  }
  try {
    const claims = await verifier.verify(token);
    if (typeof claims.exp !== 'number') return { ok: false, code: 'InvalidJWTToken', message: MISSING_CLAIMS };
    return { ok: true, claims: claims as Claims };
  } catch (err) {
    if (!(err instanceof JwtError)) throw err;
    switch (err.reason) {
      case 'expired':
        return { ok: false, code: 'InvalidJWTToken', message: expiredMessage(Number(decoded.exp)) };
      case 'missing_role':
        return { ok: false, code: 'InvalidJWTToken', message: MISSING_CLAIMS };
      case 'malformed':
        return { ok: false, code: 'MalformedJWT', message: 'The token provided is not a valid JWT' };
      case 'unknown_kid':
        if (typeof err.header.kid === 'string')
          return {
            ok: false,
            code: 'JwtSignerError',
            message: `Failed to generate JWT signer for key ID (kid) ${JSON.stringify(err.header.kid)}, ${SIGNER}`,
          };
        return { ok: false, code: 'JwtSignerError', message: `Failed to generate JWT signer, ${SIGNER}` };
      case 'algorithm':
        return { ok: false, code: 'JwtSignerError', message: `Failed to generate JWT signer, ${SIGNER}` };
      default:
        // A bad signature, an HS256 token keyed with a public key, or nbf in the future.
        return { ok: false, code: 'JwtSignatureError', message: 'Failed to validate JWT signature' };
    }
  }
}

export function expiredMessage(exp: number): string {
  return `Token has expired ${Math.max(0, Math.floor(Date.now() / 1000) - exp)} seconds ago`;
}
