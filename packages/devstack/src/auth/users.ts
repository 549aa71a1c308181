import type { ISql } from 'postgres';

/** Any query runner: the pool or a transaction. */
export type Db = ISql;

export type JsonObject = Record<string, unknown>;

/** The auth.users columns this service reads. */
export interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  encrypted_password: string | null;
  email_confirmed_at: Date | null;
  invited_at: Date | null;
  confirmation_sent_at: Date | null;
  confirmed_at: Date | null;
  recovery_sent_at: Date | null;
  email_change: string | null;
  email_change_sent_at: Date | null;
  phone: string | null;
  phone_confirmed_at: Date | null;
  phone_change: string | null;
  phone_change_sent_at: Date | null;
  reauthentication_sent_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: JsonObject | null;
  raw_user_meta_data: JsonObject | null;
  created_at: Date | null;
  updated_at: Date | null;
  banned_until: Date | null;
  deleted_at: Date | null;
  is_anonymous: boolean;
}

export interface IdentityRow {
  id: string;
  provider_id: string;
  user_id: string;
  identity_data: JsonObject;
  provider: string;
  last_sign_in_at: Date | null;
  created_at: Date | null;
  updated_at: Date | null;
  email: string | null;
}

/** A user as GoTrue serializes models.User (omitempty fields left out when unset). */
export interface GoTrueUser {
  id: string;
  aud: string;
  role: string;
  email: string;
  phone: string;
  app_metadata: JsonObject;
  user_metadata: JsonObject;
  identities: GoTrueIdentity[];
  created_at: string;
  updated_at: string;
  is_anonymous: boolean;
  [optional: string]: unknown;
}

export interface GoTrueIdentity {
  identity_id: string;
  id: string;
  user_id: string;
  identity_data: JsonObject;
  provider: string;
  last_sign_in_at?: string;
  created_at: string;
  updated_at: string;
  email?: string;
}

const USER_COLUMNS = [
  'id',
  'aud',
  'role',
  'email',
  'encrypted_password',
  'email_confirmed_at',
  'invited_at',
  'confirmation_sent_at',
  'confirmed_at',
  'recovery_sent_at',
  'email_change',
  'email_change_sent_at',
  'phone',
  'phone_confirmed_at',
  'phone_change',
  'phone_change_sent_at',
  'reauthentication_sent_at',
  'last_sign_in_at',
  'raw_app_meta_data',
  'raw_user_meta_data',
  'created_at',
  'updated_at',
  'banned_until',
  'deleted_at',
  'is_anonymous',
] as const;

const iso = (d: Date | null): string | undefined => (d ? d.toISOString() : undefined);
const epoch = new Date(0);

export function identityJson(row: IdentityRow): GoTrueIdentity {
  const out: GoTrueIdentity = {
    identity_id: row.id,
    id: row.provider_id,
    user_id: row.user_id,
    identity_data: row.identity_data,
    provider: row.provider,
    created_at: (row.created_at ?? epoch).toISOString(),
    updated_at: (row.updated_at ?? epoch).toISOString(),
  };
  if (row.last_sign_in_at) out.last_sign_in_at = row.last_sign_in_at.toISOString();
  if (row.email) out.email = row.email;
  return out;
}

export function userJson(row: UserRow, identities: IdentityRow[]): GoTrueUser {
  const optional: Record<string, string | undefined> = {
    email_confirmed_at: iso(row.email_confirmed_at),
    invited_at: iso(row.invited_at),
    phone_confirmed_at: iso(row.phone_confirmed_at),
    confirmation_sent_at: iso(row.confirmation_sent_at),
    confirmed_at: iso(row.confirmed_at),
    recovery_sent_at: iso(row.recovery_sent_at),
    new_email: row.email_change || undefined,
    email_change_sent_at: iso(row.email_change_sent_at),
    new_phone: row.phone_change || undefined,
    phone_change_sent_at: iso(row.phone_change_sent_at),
    reauthentication_sent_at: iso(row.reauthentication_sent_at),
    last_sign_in_at: iso(row.last_sign_in_at),
    banned_until: iso(row.banned_until),
    deleted_at: iso(row.deleted_at),
  };
  const user: GoTrueUser = {
    id: row.id,
    aud: row.aud ?? '',
    role: row.role ?? '',
    email: row.email ?? '',
    phone: row.phone ?? '',
    app_metadata: row.raw_app_meta_data ?? {},
    user_metadata: row.raw_user_meta_data ?? {},
    identities: identities.map(identityJson),
    created_at: (row.created_at ?? epoch).toISOString(),
    updated_at: (row.updated_at ?? epoch).toISOString(),
    is_anonymous: row.is_anonymous,
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) user[key] = value;
  return user;
}

export async function findUserById(db: Db, id: string, forUpdate = false): Promise<UserRow | null> {
  const rows = await db<UserRow[]>`
    select ${db(USER_COLUMNS)} from auth.users where id = ${id} ${forUpdate ? db`for update` : db``}`;
  return rows[0] ?? null;
}

/** GoTrue's FindUserByEmailAndAudience: case-insensitive, SSO users excluded. */
export async function findUserByEmail(db: Db, email: string, aud: string): Promise<UserRow | null> {
  const rows = await db<UserRow[]>`
    select ${db(USER_COLUMNS)} from auth.users
    where lower(email) = lower(${email}) and aud = ${aud} and is_sso_user = false
    limit 1`;
  return rows[0] ?? null;
}

export async function loadIdentities(db: Db, userId: string): Promise<IdentityRow[]> {
  return db<IdentityRow[]>`
    select id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at, email
    from auth.identities where user_id = ${userId} order by created_at, id`;
}

export async function loadUserJson(db: Db, row: UserRow): Promise<GoTrueUser> {
  return userJson(row, await loadIdentities(db, row.id));
}

export interface NewUser {
  id: string;
  aud: string;
  role: string;
  email: string;
  passwordHash: string;
  appMetadata: JsonObject;
  userMetadata: JsonObject;
  emailConfirmed: boolean;
  bannedUntil: Date | null;
}

/**
 * Inserts an auth.users row and its email identity the way GoTrue does (the
 * empty-string token columns included, so the row also works on Supabase).
 */
export async function insertUserWithEmailIdentity(
  db: Db,
  user: NewUser,
  identityExtra: JsonObject = {},
): Promise<void> {
  await db`
    insert into auth.users (
      instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
      raw_app_meta_data, raw_user_meta_data, created_at, updated_at, banned_until,
      confirmation_token, recovery_token, email_change_token_new, email_change,
      email_change_token_current, reauthentication_token, phone_change, phone_change_token
    ) values (
      '00000000-0000-0000-0000-000000000000', ${user.id}, ${user.aud}, ${user.role}, ${user.email},
      ${user.passwordHash}, ${user.emailConfirmed ? db`now()` : null},
      ${JSON.stringify(user.appMetadata)}::text::jsonb, ${JSON.stringify(user.userMetadata)}::text::jsonb,
      now(), now(), ${user.bannedUntil},
      '', '', '', '', '', '', '', ''
    )`;
  const identityData = {
    ...identityExtra,
    sub: user.id,
    email: user.email,
    email_verified: false,
    phone_verified: false,
  };
  await db`
    insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
    values (${user.id}, ${user.id}, ${JSON.stringify(identityData)}::text::jsonb, 'email', now(), now(), now())`;
}

/** GoTrue's metadata update: keys are merged, a null value removes its key. */
export function mergeMetadata(current: JsonObject | null, updates: JsonObject): JsonObject {
  const merged: JsonObject = { ...(current ?? {}) };
  for (const [key, value] of Object.entries(updates)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/** GoTrue's user.Confirm: confirms the email and records email_verified in user_metadata. */
export async function confirmEmail(db: Db, user: UserRow): Promise<void> {
  const metadata = mergeMetadata(user.raw_user_meta_data, { email_verified: true });
  await db`
    update auth.users
    set email_confirmed_at = coalesce(email_confirmed_at, now()), confirmation_token = '',
        raw_user_meta_data = ${JSON.stringify(metadata)}::text::jsonb, updated_at = now()
    where id = ${user.id}`;
}

export function isBanned(user: UserRow, now = new Date()): boolean {
  return user.banned_until !== null && user.banned_until > now;
}

/**
 * The address format GoTrue accepts: github.com/badoux/checkmail's ValidateFormat
 * at the version GoTrue pins (d0a7596), the letters, digits and symbols of RFC
 * 5322's dot-atom before the @ and dot-separated hostname labels after it.
 */
const EMAIL_FORMAT =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/**
 * GoTrue's validateEmail: present, at most 255 characters, checkmail's format;
 * returns it lowercased, or the problem (GoTrue answers 400 validation_failed).
 */
export function normalizeEmail(email: string): string | { problem: string } {
  if (email === '') return { problem: 'An email address is required' };
  if (email.length > 255) return { problem: 'An email address is too long' };
  if (!EMAIL_FORMAT.test(email)) return { problem: 'Unable to validate email address: invalid format' };
  return email.toLowerCase();
}

/**
 * Inserts an anonymous user as GoTrue's SignupAnonymously does: no email, phone,
 * password or identity, empty app_metadata, is_anonymous = true.
 */
export async function insertAnonymousUser(
  db: Db,
  user: { id: string; aud: string; role: string; userMetadata: JsonObject },
): Promise<void> {
  await db`
    insert into auth.users (
      instance_id, id, aud, role, encrypted_password, raw_app_meta_data, raw_user_meta_data,
      created_at, updated_at, is_anonymous,
      confirmation_token, recovery_token, email_change_token_new, email_change,
      email_change_token_current, reauthentication_token, phone_change, phone_change_token
    ) values (
      '00000000-0000-0000-0000-000000000000', ${user.id}, ${user.aud}, ${user.role}, '', '{}'::jsonb,
      ${JSON.stringify(user.userMetadata)}::text::jsonb, now(), now(), true,
      '', '', '', '', '', '', '', ''
    )`;
}
