// Who a request runs as: the role and claims of its JWT (Authorization: Bearer,
// else the apikey header, as Kong forwards them), verified like PostgREST does.
import type { IncomingMessage } from 'node:http';
import { decodeJwt } from 'jose';
import { bearerToken } from '../gateway/http';
import { JwtError, verifyJwt } from '../keys';
import { RestError } from './errors';
import type { SchemaCache } from './schema/cache';

export interface RequestIdentity {
  role: string;
  claims: Record<string, unknown>;
}

const ANON_ROLE = 'anon';

function jwtError(message: string): RestError {
  return new RestError(401, 'PGRST301', message, null, null, {
    'www-authenticate': `Bearer error="invalid_token", error_description=${JSON.stringify(message)}`,
  });
}

export async function identify(req: IncomingMessage, secret: string, cache: SchemaCache): Promise<RequestIdentity> {
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
    claims = await verifyJwt(token, secret);
  } catch (err) {
    if (!(err instanceof JwtError)) throw err;
    if (err.reason === 'expired') throw jwtError('JWT expired');
    if (err.reason === 'missing_role') {
      // Verified, but without a role claim: PostgREST runs it as the anonymous role.
      claims = decodeJwt(token) as Record<string, unknown>;
    } else {
      throw jwtError('JWSError JWSInvalidSignature');
    }
  }
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
