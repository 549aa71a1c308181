import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../gateway/http';
import { requireUser } from './authenticate';
import type { AuthDeps } from './context';
import { badRequest, forbidden, unprocessable } from './errors';
import { assertStrongPassword, hashPassword, passwordWeakness, verifyPassword } from './passwords';
import { passwordGrantBody, readJsonBody, refreshGrantBody, signupBody, userUpdateBody } from './schemas';
import { clientInfo, issueSession, refreshTokenGrant } from './sessions';
import { isWellFormedRefreshToken } from './tokens';
import {
  confirmEmail,
  findUserByEmail,
  findUserById,
  insertAnonymousUser,
  insertUserWithEmailIdentity,
  isBanned,
  loadUserJson,
  mergeMetadata,
  normalizeEmail,
} from './users';

// The endpoints a signed-in (or signing-in) user calls: GoTrue's signup.go,
// token.go, token_refresh.go, user.go and logout.go.

const INVALID_LOGIN = 'Invalid login credentials';

export function emailOrThrow(raw: string): string {
  const email = normalizeEmail(raw);
  if (typeof email !== 'string') throw badRequest('validation_failed', email.problem);
  return email;
}

/** Maps a unique-violation on auth.users' email index (a concurrent duplicate) to GoTrue's error. */
export function duplicateEmailAs<T>(error: Error): (err: unknown) => T {
  return (err: unknown) => {
    if (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505') throw error;
    throw err;
  };
}

/** The audience a request works in: the X-JWT-AUD header, else the configured one (GoTrue's requestAud). */
export function requestAudience(req: IncomingMessage, deps: AuthDeps): string {
  const header = req.headers['x-jwt-aud'];
  return typeof header === 'string' && header ? header : deps.config.audience;
}

const SIGNUP_DISABLED = 'Signups not allowed for this instance';

/**
 * POST /signup with neither email nor phone: GoTrue's SignupAnonymously, when
 * [auth] enable_anonymous_sign_ins is on. A user with is_anonymous = true, no
 * identity, `data` as user_metadata; its session's amr is "anonymous" and its
 * role authenticated (RLS tells it apart through auth.jwt()->>'is_anonymous').
 */
async function signupAnonymously(
  req: IncomingMessage,
  res: ServerResponse,
  deps: AuthDeps,
  data: Record<string, unknown>,
): Promise<void> {
  if (!deps.config.enableSignup) throw unprocessable('signup_disabled', SIGNUP_DISABLED);
  const aud = requestAudience(req, deps);
  const session = await deps.sql.begin(async (tx) => {
    const id = randomUUID();
    await insertAnonymousUser(tx, { id, aud, role: deps.config.defaultRole, userMetadata: data });
    return issueSession(tx, deps.signer, id, clientInfo(req), 'anonymous');
  });
  sendJson(res, 200, session);
}

/**
 * POST /signup with email and password (with autoconfirm on, the CLI default,
 * it returns a session), or anonymously with neither (GoTrue's /signup route).
 */
export async function signup(req: IncomingMessage, res: ServerResponse, deps: AuthDeps): Promise<void> {
  const body = await readJsonBody(req, signupBody, deps.config.bodyLimit);
  const rawEmail = body.email ?? '';
  const phone = body.phone ?? '';
  if (!rawEmail && !phone) {
    if (!deps.config.enableAnonymousSignIns) {
      throw unprocessable('anonymous_provider_disabled', 'Anonymous sign-ins are disabled');
    }
    return signupAnonymously(req, res, deps, body.data ?? {});
  }
  if (!deps.config.enableSignup) throw unprocessable('signup_disabled', SIGNUP_DISABLED);
  const password = body.password ?? '';
  if (!password) throw badRequest('validation_failed', 'Signup requires a valid password');
  assertStrongPassword(password, deps.config.password);
  if (rawEmail && phone) {
    throw badRequest('validation_failed', 'Only an email address or phone number should be provided on signup.');
  }
  if (!rawEmail) throw badRequest('phone_provider_disabled', 'Phone signups are disabled');
  if (!deps.config.emailEnabled) throw badRequest('email_provider_disabled', 'Email signups are disabled');
  const email = emailOrThrow(rawEmail);
  const aud = requestAudience(req, deps);
  const alreadyRegistered = unprocessable('user_already_exists', 'User already registered');
  const passwordHash = await hashPassword(password);

  const session = await deps.sql
    .begin(async (tx) => {
      if (await findUserByEmail(tx, email, aud)) throw alreadyRegistered;
      const id = randomUUID();
      await insertUserWithEmailIdentity(
        tx,
        {
          id,
          aud,
          role: deps.config.defaultRole,
          email,
          passwordHash,
          appMetadata: { provider: 'email', providers: ['email'] },
          userMetadata: body.data ?? {},
          emailConfirmed: false,
          bannedUntil: null,
        },
        body.data ?? {},
      );
      const created = await findUserById(tx, id);
      if (!created) throw new Error('signed-up user not found after insert');
      await confirmEmail(tx, created);
      return issueSession(tx, deps.signer, id, clientInfo(req));
    })
    .catch(duplicateEmailAs<never>(alreadyRegistered));
  sendJson(res, 200, session);
}

/** POST /token?grant_type=password */
export async function passwordGrant(req: IncomingMessage, res: ServerResponse, deps: AuthDeps): Promise<void> {
  const body = await readJsonBody(req, passwordGrantBody, deps.config.bodyLimit);
  const email = body.email ?? '';
  const password = body.password ?? '';
  if (email && body.phone) {
    throw badRequest('validation_failed', 'Only an email address or phone number should be provided on login.');
  }
  if (!email && body.phone) throw unprocessable('phone_provider_disabled', 'Phone logins are disabled');
  if (!email) throw badRequest('validation_failed', 'missing email or phone');
  if (!deps.config.emailEnabled) throw unprocessable('email_provider_disabled', 'Email logins are disabled');

  const user = await findUserByEmail(deps.sql, email, requestAudience(req, deps));
  if (!user || !user.encrypted_password) throw badRequest('invalid_credentials', INVALID_LOGIN);
  if (isBanned(user)) throw badRequest('user_banned', 'User is banned');
  if (!(await verifyPassword(password, user.encrypted_password)))
    throw badRequest('invalid_credentials', INVALID_LOGIN);
  if (!user.email_confirmed_at) throw badRequest('email_not_confirmed', 'Email not confirmed');

  let weakness: ReturnType<typeof passwordWeakness> = null;
  try {
    weakness = passwordWeakness(password, deps.config.password);
  } catch {
    // An over-long password that still matched: GoTrue only logs this on sign-in.
  }
  const session = await deps.sql.begin((tx) => issueSession(tx, deps.signer, user.id, clientInfo(req)));
  sendJson(res, 200, weakness ? { ...session, weak_password: weakness } : session);
}

/** POST /token?grant_type=refresh_token */
export async function refreshGrant(req: IncomingMessage, res: ServerResponse, deps: AuthDeps): Promise<void> {
  const body = await readJsonBody(req, refreshGrantBody, deps.config.bodyLimit);
  const token = body.refresh_token ?? '';
  if (!isWellFormedRefreshToken(token)) throw badRequest('validation_failed', 'Refresh token is not valid');
  sendJson(res, 200, await refreshTokenGrant(deps.sql, deps.signer, token, clientInfo(req)));
}

/** GET /user */
export async function getUser(req: IncomingMessage, res: ServerResponse, deps: AuthDeps): Promise<void> {
  const { claims, user } = await requireUser(req, deps.sql, deps.verifier);
  const aud = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
  if (!aud || aud !== requestAudience(req, deps)) {
    throw badRequest('validation_failed', "Token audience doesn't match request audience");
  }
  sendJson(res, 200, await loadUserJson(deps.sql, user));
}

/**
 * PUT /user: user_metadata (`data`), password and email. A new email takes
 * effect at once (the dev stack sends no mail; GoTrue would wait for the
 * confirmation links, except for anonymous users under autoconfirm, where it
 * too applies it at once). An anonymous user who sets an email becomes
 * permanent: an email identity, is_anonymous = false (GoTrue's emailChangeVerify).
 * A new password signs out every other session, as GoTrue does.
 */
export async function updateUser(req: IncomingMessage, res: ServerResponse, deps: AuthDeps): Promise<void> {
  const { user, session } = await requireUser(req, deps.sql, deps.verifier);
  const body = await readJsonBody(req, userUpdateBody, deps.config.bodyLimit);
  const email = body.email ? emailOrThrow(body.email) : null;
  if (body.phone)
    throw unprocessable('phone_provider_disabled', 'Phone numbers cannot be set: the phone provider is disabled');
  const password = body.password ?? null;
  if (user.is_anonymous && password && !body.email && !body.phone) {
    throw unprocessable(
      'validation_failed',
      'Updating password of an anonymous user without an email or phone is not allowed',
    );
  }
  if (password !== null) assertStrongPassword(password, deps.config.password);
  if (body.app_metadata && user.role !== 'admin') {
    throw forbidden('not_admin', 'Updating app_metadata requires admin privileges');
  }
  const emailChanges = email !== null && email !== user.email;
  const emailTaken = unprocessable('email_exists', 'A user with this email address has already been registered');
  if (emailChanges) {
    const other = await findUserByEmail(deps.sql, email, user.aud ?? deps.config.audience);
    if (other && other.id !== user.id) throw emailTaken;
  }
  let passwordHash: string | null = null;
  if (password) {
    if (await verifyPassword(password, user.encrypted_password)) {
      throw unprocessable('same_password', 'New password should be different from the old password.');
    }
    passwordHash = await hashPassword(password);
  }

  const updated = await deps.sql
    .begin(async (tx) => {
      const current = await findUserById(tx, user.id, true);
      if (!current) throw forbidden('user_not_found', 'User from sub claim in JWT does not exist');
      if (passwordHash !== null) {
        await tx`
          update auth.users set encrypted_password = ${passwordHash}, confirmation_token = '', confirmation_sent_at = null,
            recovery_token = '', recovery_sent_at = null, email_change_token_current = '', email_change_token_new = '',
            email_change_sent_at = null, phone_change_token = '', phone_change_sent_at = null,
            reauthentication_token = '', reauthentication_sent_at = null, updated_at = now()
          where id = ${user.id}`;
        if (session) await tx`delete from auth.sessions where user_id = ${user.id} and id <> ${session.id}`;
        else await tx`delete from auth.sessions where user_id = ${user.id}`;
      }
      if (body.data) {
        const metadata = mergeMetadata(current.raw_user_meta_data, body.data);
        await tx`update auth.users set raw_user_meta_data = ${JSON.stringify(metadata)}::text::jsonb, updated_at = now() where id = ${user.id}`;
      }
      if (body.app_metadata) {
        const metadata = mergeMetadata(current.raw_app_meta_data, body.app_metadata);
        await tx`update auth.users set raw_app_meta_data = ${JSON.stringify(metadata)}::text::jsonb, updated_at = now() where id = ${user.id}`;
      }
      if (emailChanges) {
        await tx`update auth.users set email = ${email}, email_change = '', updated_at = now() where id = ${user.id}`;
        const changed = await tx`
          update auth.identities
          set identity_data = identity_data || jsonb_build_object('email', ${email}::text, 'email_verified', true),
              updated_at = now()
          where user_id = ${user.id} and provider = 'email'`;
        if (changed.count === 0) {
          const data = { sub: user.id, email, email_verified: true, phone_verified: false };
          await tx`
            insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
            values (${user.id}, ${user.id}, ${JSON.stringify(data)}::text::jsonb, 'email', now(), now(), now())`;
        }
        if (current.is_anonymous) await tx`update auth.users set is_anonymous = false where id = ${user.id}`;
        const reloaded = await findUserById(tx, user.id);
        if (reloaded && !reloaded.email_confirmed_at) await confirmEmail(tx, reloaded);
      }
      const fresh = await findUserById(tx, user.id);
      if (!fresh) throw new Error('updated user not found');
      return loadUserJson(tx, fresh);
    })
    .catch(duplicateEmailAs<never>(emailTaken));
  sendJson(res, 200, updated);
}

/** POST /logout?scope=global|local|others: deletes sessions (and so their refresh tokens); 204. */
export async function logout(req: IncomingMessage, res: ServerResponse, deps: AuthDeps, url: URL): Promise<void> {
  const { user, session } = await requireUser(req, deps.sql, deps.verifier);
  const scope = url.searchParams.get('scope') ?? '';
  if (!['', 'global', 'local', 'others'].includes(scope)) {
    throw badRequest('validation_failed', `Unsupported logout scope ${JSON.stringify(scope)}`);
  }
  if (session && scope === 'local') {
    await deps.sql`delete from auth.sessions where id = ${session.id}`;
  } else if (session && scope === 'others') {
    await deps.sql`delete from auth.sessions where user_id = ${user.id} and id <> ${session.id}`;
  } else {
    await deps.sql`delete from auth.sessions where user_id = ${user.id}`;
  }
  res.writeHead(204);
  res.end();
}
