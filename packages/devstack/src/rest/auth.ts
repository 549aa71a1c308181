// Who a request runs as: the role and claims of its JWT (Authorization: Bearer,
// else the apikey header, as Kong forwards them), verified like PostgREST 13
// does (src/PostgREST/Auth.hs parseToken): against the stack's keys, with its
// error codes and messages and 30 s of allowed clock skew on exp, nbf and iat.
import type { IncomingMessage } from 'node:http';
import { decodeJwt } from 'jose';
import { bearerToken } from '../gateway/http';
import { JwtError, type TokenVerifier } from '../jwt';
import { RestError } from './errors';
import type { SchemaCache } from './schema/cache';

export interface RequestIdentity {
  role: string;
  claims: Record<string, unknown>;
}

const ANON_ROLE = 'anon';
/** PostgREST's allowedSkewSeconds. */
const CLOCK_SKEW_SEC = 30;
/** JWS algorithms jose-jwt knows: for these PostgREST looks for a key; anything else is a bad algorithm. */
const KNOWN_ALGORITHMS = /^(HS|RS|ES|PS)(256|384|512)$|^EdDSA$/;

/** PGRST301 (the token does not decode or verify) or PGRST303 (a claim is refused). */
function jwtError(message: string, code: 'PGRST301' | 'PGRST303' = 'PGRST301'): RestError {
  return new RestError(401, code, message, null, null, {
    'www-authenticate': `Bearer error="invalid_token", error_description=${JSON.stringify(message)}`,
  });
}

function postgrestMessage(err: JwtError): RestError {
  switch (err.reason) {
    case 'malformed':
      return jwtError('JWT cryptographic operation failed');
    case 'algorithm':
      return jwtError(
        KNOWN_ALGORITHMS.test(String(err.header.alg))
          ? 'No suitable key or wrong key type'
          : 'Wrong or unsupported encoding algorithm',
      );
    case 'unknown_kid':
    case 'key_type':
    case 'signature':
      return jwtError('No suitable key or wrong key type');
    case 'expired':
      return jwtError('JWT expired', 'PGRST303');
    case 'not_yet_valid':
      return jwtError('JWT not yet valid', 'PGRST303');
    case 'missing_role':
      throw new Error('unreachable: a token without role runs as anon');
  }
}

/** The caller's role and claims; throws PostgREST's RestError for a missing, bad or refused token. */
export async function identify(
  req: IncomingMessage,
  verifier: TokenVerifier,
  cache: SchemaCache,
): Promise<RequestIdentity> {
  const token = bearerToken(req);
  if (token === null) {
    // What Kong answers in front of PostgREST on Supabase when no key is sent.
    throw new RestError(
      401,
      'PGRST302',
      'No API key found in request',
      null,
      'No `apikey` request header or url param was found.',
      {
        'www-authenticate': 'Bearer',
      },
    );
  }
  const parts = token.split('.').length;
  if (parts !== 3) throw jwtError(`Expected 3 parts in JWT; got ${parts}`);

  let claims: Record<string, unknown>;
  try {
    claims = await verifier.verify(token, { clockToleranceSec: CLOCK_SKEW_SEC });
  } catch (err) {
    if (!(err instanceof JwtError)) throw err;
    // Verified, but without a role claim: PostgREST runs it as the anonymous role.
    if (err.reason !== 'missing_role') throw postgrestMessage(err);
    claims = decodeJwt(token) as Record<string, unknown>;
  }
  if (typeof claims.iat === 'number' && claims.iat > Math.floor(Date.now() / 1000) + CLOCK_SKEW_SEC)
    throw jwtError('JWT issued at future', 'PGRST303');
  const role = typeof claims.role === 'string' && claims.role ? claims.role : ANON_ROLE;
  if (!(await cache.roleAllowed(role))) {
    const exists = await cache.roleExists(role);
    if (!exists)
      throw new RestError(401, '22023', `role "${role}" does not exist`, null, null, { 'www-authenticate': 'Bearer' });
    throw new RestError(403, '42501', `permission denied to set role "${role}"`);
  }
  return { role, claims };
}

export function isAnonymous(identity: RequestIdentity): boolean {
  return identity.role === ANON_ROLE;
}
