import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../gateway/http';
import { duplicateEmailAs, emailOrThrow, requestAudience } from './account';
import { requireAdmin } from './authenticate';
import type { AuthDeps } from './context';
import { badRequest, notFound, unprocessable } from './errors';
import { assertStrongPassword, hashPassword } from './passwords';
import { adminDeleteBody, adminUserBody, readJsonBody, type AdminUserBody } from './schemas';
import {
  confirmEmail,
  findUserByEmail,
  findUserById,
  insertUserWithEmailIdentity,
  loadUserJson,
  mergeMetadata,
  type Db,
  type UserRow,
} from './users';
import { adminListUsers } from './admin-list';
import { handleAdminFactors } from './unserved';

// GoTrue's admin.go: /admin/users for service_role callers.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const EMAIL_TAKEN = 'A user with this email address has already been registered';
const PHONE_UNSUPPORTED = 'The dev stack manages email users only: phone users are not supported';

const GO_DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go time.ParseDuration string ("24h", "1h30m", "none") as a ban end, or null for no ban. */
function banUntil(duration: string): Date | null {
  if (duration === 'none') return null;
  if (!/^(\d+(\.\d*)?(ns|us|µs|ms|s|m|h))+$/.test(duration)) {
    throw badRequest('validation_failed', `invalid format for ban duration: time: invalid duration "${duration}"`);
  }
  let ms = 0;
  for (const [, amount, , unit] of duration.matchAll(/(\d+(\.\d*)?)(ns|us|µs|ms|s|m|h)/g)) {
    ms += Number(amount) * GO_DURATION_UNITS[unit];
  }
  return ms > 0 ? new Date(Date.now() + ms) : null;
}

async function passwordHashFor(body: AdminUserBody): Promise<string> {
  if (body.password && body.password_hash) {
    throw badRequest('validation_failed', 'Only a password or a password hash should be provided');
  }
  if (body.password_hash) {
    if (!/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(body.password_hash)) {
      throw badRequest('validation_failed', 'Invalid password hash: the dev stack accepts bcrypt hashes only');
    }
    return body.password_hash;
  }
  const password = body.password || randomBytes(48).toString('base64url');
  if (Buffer.byteLength(password) > 72)
    throw badRequest('validation_failed', 'bcrypt: password length exceeds 72 bytes');
  return hashPassword(password);
}

async function loadTarget(db: Db, id: string): Promise<UserRow> {
  if (!UUID.test(id)) throw notFound('validation_failed', 'user_id must be an UUID');
  const user = await findUserById(db, id);
  if (!user) throw notFound('user_not_found', 'User not found');
  return user;
}

/** POST /admin/users */
async function createUser(req: IncomingMessage, res: ServerResponse, deps: AuthDeps): Promise<void> {
  const body = await readJsonBody(req, adminUserBody, deps.config.bodyLimit);
  const aud = body.aud || requestAudience(req, deps);
  if (!body.email && !body.phone) {
    throw badRequest('validation_failed', 'Cannot create a user without either an email or phone');
  }
  if (body.phone) throw badRequest('validation_failed', PHONE_UNSUPPORTED);
  const email = emailOrThrow(body.email ?? '');
  if (await findUserByEmail(deps.sql, email, aud)) throw unprocessable('email_exists', EMAIL_TAKEN);
  const passwordHash = await passwordHashFor(body);
  let id: string = randomUUID();
  if (body.id) {
    if (!UUID.test(body.id)) throw badRequest('validation_failed', 'ID must conform to the uuid v4 format');
    if (body.id === NIL_UUID) throw badRequest('validation_failed', 'ID cannot be a nil uuid');
    id = body.id.toLowerCase();
  }
  const bannedUntil = body.ban_duration ? banUntil(body.ban_duration) : null;
  const appMetadata = mergeMetadata({ provider: 'email', providers: ['email'] }, body.app_metadata ?? {});

  const created = await deps.sql
    .begin(async (tx) => {
      if (await findUserById(tx, id)) throw unprocessable('user_already_exists', `A user with ID ${id} already exists`);
      await insertUserWithEmailIdentity(tx, {
        id,
        aud,
        role: body.role || deps.config.defaultRole,
        email,
        passwordHash,
        appMetadata,
        userMetadata: body.user_metadata ?? {},
        emailConfirmed: false,
        bannedUntil,
      });
      let user = await findUserById(tx, id);
      if (user && body.email_confirm) {
        await confirmEmail(tx, user);
        user = await findUserById(tx, id);
      }
      if (!user) throw new Error('created user not found after insert');
      return loadUserJson(tx, user);
    })
    .catch(duplicateEmailAs<never>(unprocessable('email_exists', EMAIL_TAKEN)));
  sendJson(res, 200, created);
}

/** PUT /admin/users/:id; a new password signs the user out everywhere, as in GoTrue. */
async function updateUser(req: IncomingMessage, res: ServerResponse, deps: AuthDeps, id: string): Promise<void> {
  const target = await loadTarget(deps.sql, id);
  const body = await readJsonBody(req, adminUserBody, deps.config.bodyLimit);
  if (body.phone) throw badRequest('validation_failed', PHONE_UNSUPPORTED);
  const email = body.email ? emailOrThrow(body.email) : null;
  const emailTaken = unprocessable('email_exists', EMAIL_TAKEN);
  if (email && email !== target.email) {
    const other = await findUserByEmail(deps.sql, email, target.aud ?? deps.config.audience);
    if (other && other.id !== target.id) throw emailTaken;
  }
  let passwordHash: string | null = null;
  if (typeof body.password === 'string') {
    assertStrongPassword(body.password, deps.config.password);
    passwordHash = await hashPassword(body.password);
  }
  const banChange = body.ban_duration ? { until: banUntil(body.ban_duration) } : null;

  const updated = await deps.sql
    .begin(async (tx) => {
      const current = await findUserById(tx, target.id, true);
      if (!current) throw notFound('user_not_found', 'User not found');
      if (body.role) await tx`update auth.users set role = ${body.role} where id = ${id}`;
      if (body.email_confirm) await confirmEmail(tx, current);
      if (passwordHash !== null) {
        await tx`update auth.users set encrypted_password = ${passwordHash} where id = ${id}`;
        await tx`delete from auth.sessions where user_id = ${id}`;
      }
      if (email) {
        const emailVerified = body.email_confirm ?? false;
        await tx`update auth.users set email = ${email} where id = ${id}`;
        const changed = await tx`
          update auth.identities
          set identity_data = identity_data || jsonb_build_object('email', ${email}::text, 'email_verified', ${emailVerified}::boolean),
              updated_at = now()
          where user_id = ${id} and provider = 'email'`;
        if (changed.count === 0) {
          const data = { sub: id, email, email_verified: emailVerified, phone_verified: false };
          await tx`
            insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
            values (${id}, ${id}, ${JSON.stringify(data)}::text::jsonb, 'email', now(), now(), now())`;
        }
      }
      const latest = await findUserById(tx, id);
      if (body.app_metadata && latest) {
        const merged = mergeMetadata(latest.raw_app_meta_data, body.app_metadata);
        await tx`update auth.users set raw_app_meta_data = ${JSON.stringify(merged)}::text::jsonb where id = ${id}`;
      }
      if (body.user_metadata && latest) {
        const merged = mergeMetadata(latest.raw_user_meta_data, body.user_metadata);
        await tx`update auth.users set raw_user_meta_data = ${JSON.stringify(merged)}::text::jsonb where id = ${id}`;
      }
      if (banChange) await tx`update auth.users set banned_until = ${banChange.until} where id = ${id}`;
      await tx`update auth.users set updated_at = now() where id = ${id}`;
      const fresh = await findUserById(tx, id);
      if (!fresh) throw notFound('user_not_found', 'User not found');
      return loadUserJson(tx, fresh);
    })
    .catch(duplicateEmailAs<never>(emailTaken));
  sendJson(res, 200, updated);
}

/**
 * DELETE /admin/users/:id. A hard delete removes the row (identities and
 * sessions cascade). A soft delete keeps it as a tombstone: personal data
 * cleared, deleted_at set, sessions and identities removed (GoTrue obfuscates
 * instead of removing identities).
 */
async function deleteUser(req: IncomingMessage, res: ServerResponse, deps: AuthDeps, id: string): Promise<void> {
  const target = await loadTarget(deps.sql, id);
  const body = await readJsonBody(req, adminDeleteBody, deps.config.bodyLimit, { allowEmpty: true });
  await deps.sql.begin(async (tx) => {
    if (body.should_soft_delete) {
      if (target.deleted_at) return;
      await tx`
        update auth.users
        set email = null, phone = null, encrypted_password = '', email_change = '', phone_change = '',
            raw_app_meta_data = '{}'::jsonb, raw_user_meta_data = '{}'::jsonb,
            deleted_at = now(), updated_at = now()
        where id = ${id}`;
      await tx`delete from auth.identities where user_id = ${id}`;
      await tx`delete from auth.sessions where user_id = ${id}`;
    } else {
      await tx`delete from auth.users where id = ${id}`;
    }
    await tx`delete from auth.refresh_tokens where user_id = ${id}`;
  });
  sendJson(res, 200, {});
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // not a UUID either way: loadTarget answers 404
  }
}

/** Routes /admin/users[/:id]; `rest` is the path after /admin. */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  deps: AuthDeps,
  rest: string,
  url: URL,
  methodNotAllowed: () => Error,
): Promise<boolean> {
  if (/^\/users\/[^/]+\/factors(\/[^/]+)?$/.test(rest)) {
    await requireAdmin(req, deps.sql, deps.verifier, deps.config.adminRoles);
    if (await handleAdminFactors(req, res, deps, rest)) return true;
    throw methodNotAllowed();
  }
  const match = /^\/users(?:\/([^/]+))?$/.exec(rest);
  if (!match) return false;
  await requireAdmin(req, deps.sql, deps.verifier, deps.config.adminRoles);
  const id = match[1] === undefined ? null : safeDecode(match[1]);
  if (id === null) {
    if (req.method === 'GET') await adminListUsers(req, res, deps, url);
    else if (req.method === 'POST') await createUser(req, res, deps);
    else throw methodNotAllowed();
    return true;
  }
  if (req.method === 'GET') sendJson(res, 200, await loadUserJson(deps.sql, await loadTarget(deps.sql, id)));
  else if (req.method === 'PUT') await updateUser(req, res, deps, id);
  else if (req.method === 'DELETE') await deleteUser(req, res, deps, id);
  else throw methodNotAllowed();
  return true;
}
