import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Sql } from 'postgres';
import { AuthHttpError, badRequest, OAuthError } from './errors';
import { newRefreshToken, signAccessToken, type SessionRow, type TokenResponse, type TokenSigner } from './tokens';
import { findUserById, isBanned, loadUserJson, type Db, type UserRow } from './users';

/** Who opened a session (GoTrue's GrantParams.FillGrantParams): user agent and client IP. */
export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

export function clientInfo(req: IncomingMessage): ClientInfo {
  const forwarded = req.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  const candidate = (first || req.socket.remoteAddress || '').replace(/^::ffff:/, '');
  const userAgent = req.headers['user-agent'];
  return {
    userAgent: typeof userAgent === 'string' && userAgent ? userAgent.slice(0, 1000) : null,
    ip: isIP(candidate) ? candidate : null,
  };
}

/** GoTrue's authentication methods this service signs in with (models.AuthenticationMethod). */
export type AuthenticationMethod = 'password' | 'anonymous';

/** The session's AMR claims as GoTrue's CalculateAALAndAMR lists them: most recent first, updated_at as timestamp. */
async function loadAmr(db: Db, sessionId: string): Promise<{ method: string; timestamp: number }[]> {
  const rows = await db<{ method: string; timestamp: number }[]>`
    select authentication_method as method, extract(epoch from updated_at)::int as timestamp
    from auth.mfa_amr_claims where session_id = ${sessionId} order by updated_at desc`;
  return rows.map((r) => ({ method: r.method, timestamp: Number(r.timestamp) }));
}

async function tokenResponse(
  db: Db,
  signer: TokenSigner,
  user: UserRow,
  session: SessionRow,
  refreshToken: string,
): Promise<TokenResponse> {
  const amr = await loadAmr(db, session.id);
  const { token, expiresAt } = await signAccessToken(signer, user, { ...session, amr });
  return {
    access_token: token,
    token_type: 'bearer',
    expires_in: expiresAt - Math.floor(Date.now() / 1000),
    expires_at: expiresAt,
    refresh_token: refreshToken,
    user: await loadUserJson(db, user),
  };
}

/**
 * Starts a session for a user who just proved who they are (GoTrue's
 * IssueRefreshToken): a new auth.sessions row with its AMR claim (`method`),
 * its first refresh token, and last_sign_in_at. Run it inside a transaction.
 */
export async function issueSession(
  tx: Db,
  signer: TokenSigner,
  userId: string,
  client: ClientInfo,
  method: AuthenticationMethod = 'password',
): Promise<TokenResponse> {
  const sessionId = randomUUID();
  const [session] = await tx<SessionRow[]>`
    insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip)
    values (${sessionId}, ${userId}, now(), now(), 'aal1', ${client.userAgent}, ${client.ip})
    returning id, user_id, created_at, not_after, aal`;
  await tx`
    insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
    values (gen_random_uuid(), ${sessionId}, now(), now(), ${method})`;
  const refreshToken = newRefreshToken();
  await tx`
    insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
    values ('00000000-0000-0000-0000-000000000000', ${refreshToken}, ${userId}, false, now(), now(), '', ${sessionId})`;
  await tx`update auth.users set last_sign_in_at = now() where id = ${userId}`;
  const user = await findUserById(tx, userId);
  if (!user) throw new Error(`user ${userId} vanished while signing in`);
  return tokenResponse(tx, signer, user, session, refreshToken);
}

interface RefreshTokenRow {
  id: string;
  token: string;
  user_id: string | null;
  revoked: boolean | null;
  updated_at: Date | null;
  parent: string | null;
  session_id: string | null;
}

/** A failure decided inside the refresh transaction whose writes must still commit. */
interface CommittedFailure {
  failure: AuthHttpError;
}

/**
 * GoTrue's refresh_token grant with rotation (refresh token algorithm v1):
 * the presented token is revoked and replaced by a child. A revoked token is
 * accepted again only as the parent of the session's active token (the client
 * lost the response: it gets that active token back) or within the reuse
 * interval; otherwise the session is terminated and the call fails with
 * refresh_token_already_used.
 */
export async function refreshTokenGrant(
  sql: Sql,
  signer: TokenSigner,
  presented: string,
  client: ClientInfo,
): Promise<TokenResponse> {
  if (!presented) throw new OAuthError('invalid_request', 'refresh_token required');
  const outcome = await sql.begin(async (tx): Promise<TokenResponse | CommittedFailure> => {
    const [token] = await tx<RefreshTokenRow[]>`
        select id::text, token, user_id, revoked, updated_at, parent, session_id::text
        from auth.refresh_tokens where token = ${presented} for update`;
    if (!token) throw badRequest('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
    const user = token.user_id && /^[0-9a-f-]{36}$/i.test(token.user_id) ? await findUserById(tx, token.user_id) : null;
    if (!user) throw badRequest('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
    if (isBanned(user)) throw badRequest('user_banned', 'Invalid Refresh Token: User Banned');
    const [session] = token.session_id
      ? await tx<SessionRow[]>`
            select id, user_id, created_at, not_after, aal from auth.sessions where id = ${token.session_id} for update`
      : [];
    if (!session) {
      await tx`delete from auth.refresh_tokens where id = ${token.id}`;
      return { failure: badRequest('session_not_found', 'Invalid Refresh Token: No Valid Session Found') };
    }
    if (session.not_after && session.not_after.getTime() <= Date.now()) {
      throw badRequest('session_expired', 'Invalid Refresh Token: Session Expired');
    }

    let issued: string | null = null;
    if (token.revoked) {
      const [active] = await tx<{ token: string; parent: string | null }[]>`
          select token, parent from auth.refresh_tokens
          where session_id = ${session.id} and revoked = false order by id desc limit 1`;
      if (active && active.parent === token.token) {
        issued = active.token;
      } else {
        const revokedAt = token.updated_at?.getTime() ?? 0;
        if (Date.now() > revokedAt + signer.config.refreshTokenReuseInterval * 1000) {
          // Possible token theft: with rotation on, end the whole session, as
          // GoTrue's v2 refresh algorithm does (v1 revokes the session's tokens,
          // which the reuse window would then let through once more); with
          // rotation off, GoTrue only fails this request.
          if (signer.config.refreshTokenRotation) await tx`delete from auth.sessions where id = ${session.id}`;
          return { failure: badRequest('refresh_token_already_used', 'Invalid Refresh Token: Already Used') };
        }
      }
    }
    if (!issued) {
      if (!token.revoked) {
        await tx`update auth.refresh_tokens set revoked = true, updated_at = now() where id = ${token.id}`;
      }
      issued = newRefreshToken();
      await tx`
          insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
          values ('00000000-0000-0000-0000-000000000000', ${issued}, ${user.id}, false, now(), now(), ${token.token}, ${session.id})`;
    }
    await tx`
        update auth.sessions
        set refreshed_at = timezone('utc', now()), updated_at = now(),
            user_agent = coalesce(${client.userAgent}, user_agent), ip = coalesce(${client.ip}::inet, ip)
        where id = ${session.id}`;
    return tokenResponse(tx, signer, user, session, issued);
  });
  // Thrown only now, after the commit, so that the revocation above persists.
  if ('failure' in outcome) throw outcome.failure;
  return outcome;
}
