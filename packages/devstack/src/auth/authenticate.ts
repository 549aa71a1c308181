import type { IncomingMessage } from 'node:http';
import { JwtError, type TokenVerifier, type VerifiedClaims } from '../jwt';
import { AuthHttpError, badRequest, forbidden } from './errors';
import type { SessionRow } from './tokens';
import { findUserById, isBanned, type Db, type UserRow } from './users';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export interface Caller {
  claims: VerifiedClaims;
  user: UserRow;
  /** Null when the token has no session_id claim (GoTrue then treats logout as global). */
  session: SessionRow | null;
}

/** GoTrue reads only `Authorization: Bearer …` (Kong's apikey never reaches it). */
function bearer(req: IncomingMessage): string {
  const match = /^[Bb]earer (\S+)$/.exec(req.headers.authorization ?? '');
  if (!match) throw new AuthHttpError(401, 'no_authorization', 'This endpoint requires a valid Bearer token');
  return match[1];
}

/** The golang-jwt v5 error GoTrue's parser reports for each failure (GoTrue accepts HS256, RS256 and ES256 as the CLI configures it, HS256 alone in legacy mode). */
function jwtProblem(err: JwtError, verifier: TokenVerifier): string {
  const alg = String(err.header.alg);
  const kid = typeof err.header.kid === 'string' ? err.header.kid : '<nil>';
  const unverifiable = `token is unverifiable: error while executing keyfunc: unrecognized JWT kid ${kid} for algorithm ${alg}`;
  switch (err.reason) {
    case 'malformed':
      return `token is malformed: ${err.message}`;
    case 'algorithm':
      return verifier.algorithm === 'ES256' && alg === 'RS256'
        ? unverifiable
        : `token signature is invalid: signing method ${alg} is invalid`;
    case 'unknown_kid':
      return unverifiable;
    case 'key_type':
      return 'token signature is invalid: key is of invalid type';
    case 'signature':
      return `token signature is invalid: ${alg === 'ES256' ? 'crypto/ecdsa: verification error' : 'signature is invalid'}`;
    case 'expired':
      return 'token has invalid claims: token is expired';
    case 'not_yet_valid':
      return 'token has invalid claims: token is not valid yet';
    case 'missing_role':
      return 'token has invalid claims: missing role claim';
  }
}

async function claimsOf(req: IncomingMessage, verifier: TokenVerifier): Promise<VerifiedClaims> {
  const token = bearer(req);
  try {
    return await verifier.verify(token);
  } catch (err) {
    if (err instanceof JwtError) {
      throw forbidden('bad_jwt', `invalid JWT: unable to parse or verify signature, ${jwtProblem(err, verifier)}`);
    }
    throw err;
  }
}

/** GoTrue's maybeLoadUserOrSession: the token's user must exist, and so must its session if it names one. */
async function loadCaller(db: Db, claims: VerifiedClaims): Promise<Caller> {
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  if (!sub) throw forbidden('bad_jwt', 'invalid claim: missing sub claim');
  if (!UUID.test(sub)) throw badRequest('bad_jwt', 'invalid claim: sub claim must be a UUID');
  const user = await findUserById(db, sub);
  if (!user) throw forbidden('user_not_found', 'User from sub claim in JWT does not exist');

  let session: SessionRow | null = null;
  const sessionId = typeof claims.session_id === 'string' ? claims.session_id : '';
  if (sessionId && sessionId !== NIL_UUID) {
    if (!UUID.test(sessionId)) throw forbidden('bad_jwt', 'invalid claim: session_id claim must be a UUID');
    const rows = await db<SessionRow[]>`
      select id, user_id, created_at, not_after, aal from auth.sessions where id = ${sessionId}`;
    session = rows[0] ?? null;
    if (!session) throw forbidden('session_not_found', 'Session from session_id claim in JWT does not exist');
  }
  return { claims, user, session };
}

/** GoTrue's requireAuthentication: a valid access token of an existing, unbanned user and session. */
export async function requireUser(req: IncomingMessage, db: Db, verifier: TokenVerifier): Promise<Caller> {
  const caller = await loadCaller(db, await claimsOf(req, verifier));
  if (isBanned(caller.user)) throw forbidden('user_banned', 'User is banned');
  return caller;
}

/**
 * GoTrue's requireAdminCredentials: a valid token whose role is an admin role
 * (service_role). A user token is checked against its session first, then
 * refused with not_admin.
 */
export async function requireAdmin(
  req: IncomingMessage,
  db: Db,
  verifier: TokenVerifier,
  adminRoles: readonly string[],
): Promise<VerifiedClaims> {
  const claims = await claimsOf(req, verifier);
  const sessionId = typeof claims.session_id === 'string' ? claims.session_id : '';
  if (sessionId && sessionId !== NIL_UUID) await loadCaller(db, claims);
  if (!adminRoles.includes(claims.role)) throw forbidden('not_admin', 'User not allowed');
  return claims;
}
