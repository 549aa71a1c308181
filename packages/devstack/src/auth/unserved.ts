import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { sendJson } from '../gateway/http';
import { requireUser } from './authenticate';
import type { AuthDeps } from './context';
import { AuthHttpError, badRequest, notFound, unprocessable } from './errors';
import { readJsonBody } from './schemas';
import { emailOrThrow } from './account';
import { authorize } from './unserved-grants';
import { findUserById } from './users';

// GoTrue features the dev stack does not serve (OTP, MFA, passkeys, SAML SSO,
// manual linking, the OAuth server; the sign-in grants are in unserved-grants.ts).
// They are off in the CLI's default config.toml, and each endpoint answers as
// GoTrue answers with the feature off: same status, error code and message
// (supabase/auth: internal/api/otp.go, mfa.go, admin.go, middleware.go). Turning
// one on in config.toml makes the stack warn at start that it is not served.

const text = z.string().nullish();

const enrollBody = z.object({ factor_type: text, friendly_name: text, issuer: text, phone: text });

async function requireNotAnonymous(req: IncomingMessage, deps: AuthDeps): Promise<void> {
  const { claims } = await requireUser(req, deps.sql, deps.verifier);
  if (claims.is_anonymous === true) {
    throw new AuthHttpError(403, 'no_authorization', 'Anonymous user not allowed to perform these actions');
  }
}

const ENROLMENT = {
  phone: ['mfa_phone_enroll_not_enabled', 'Phone'],
  totp: ['mfa_totp_enroll_not_enabled', 'TOTP'],
  webauthn: ['mfa_webauthn_enroll_not_enabled', 'WebAuthn'],
} as const;

/** POST /factors (mfa.enroll): GoTrue's EnrollFactor with every factor type's enrolment off. */
async function enrollFactor(req: IncomingMessage, deps: AuthDeps): Promise<void> {
  await requireNotAnonymous(req, deps);
  const body = await readJsonBody(req, enrollBody, deps.config.bodyLimit);
  const type = body.factor_type ?? '';
  if (!Object.hasOwn(ENROLMENT, type)) {
    throw badRequest('validation_failed', 'factor_type needs to be totp, phone, or webauthn');
  }
  const [code, kind] = ENROLMENT[type as keyof typeof ENROLMENT];
  throw unprocessable(code, `MFA enroll is disabled for ${kind}`);
}

const otpBody = z.object({
  email: text,
  phone: text,
  channel: text,
  create_user: z.boolean().nullish(),
  data: z.record(z.string(), z.unknown()).nullish(),
  code_challenge: text,
  code_challenge_method: text,
});

/**
 * POST /otp (signInWithOtp): GoTrue's Otp up to the point where it would send
 * a message. Phone: the SMS provider is off, as in the CLI's default config.
 * Email (magic links, email OTP): the dev stack sends no mail, so it says so.
 */
async function otp(req: IncomingMessage, deps: AuthDeps): Promise<void> {
  const body = await readJsonBody(req, otpBody, deps.config.bodyLimit);
  const email = body.email ?? '';
  const phone = body.phone ?? '';
  if (email && phone) throw badRequest('validation_failed', 'Only an email address or phone number should be provided');
  if (email && body.channel) throw badRequest('validation_failed', 'Channel should only be specified with Phone OTP');
  if (body.create_user === false) {
    // GoTrue's shouldCreateUser: without create_user, only an existing user may get a code.
    const exists = email
      ? (await deps.sql`select 1 from auth.users where lower(email) = lower(${emailOrThrow(email)})`).length > 0
      : false; // no phone users here
    if (!exists && (email || phone)) throw unprocessable('otp_disabled', 'Signups not allowed for otp');
  }
  if (phone) throw badRequest('phone_provider_disabled', 'Unsupported phone provider');
  if (!email) throw badRequest('validation_failed', 'One of email or phone must be set');
  throw new AuthHttpError(
    404,
    'not_found',
    'POST /otp with an email (magic link, email OTP) is not served by the dev stack: it sends no email. Sign in with a password, or use supabase start for email flows.',
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GoTrue's loadFactor: no user has a factor here. */
function factorNotFound(factorId: string): never {
  if (!UUID.test(factorId)) throw notFound('validation_failed', 'factor_id must be an UUID');
  throw notFound('mfa_factor_not_found', 'Factor not found');
}

/**
 * Routes GoTrue's endpoints of features that are off; `path` is after /auth/v1.
 * Returns false for paths it does not own.
 */
export async function handleUnserved(
  req: IncomingMessage,
  res: ServerResponse,
  deps: AuthDeps,
  path: string,
  url: URL,
): Promise<boolean> {
  const method = req.method ?? '';
  if (path === '/authorize' && method === 'GET') {
    await authorize(req, res, deps, url);
    return true;
  }
  if (path === '/otp' && method === 'POST') {
    await otp(req, deps);
    return true;
  }
  if (path === '/factors' && method === 'POST') {
    await enrollFactor(req, deps);
    return true;
  }
  const factor = /^\/factors\/([^/]+)(?:\/(verify|challenge))?$/.exec(path);
  if (factor && (method === 'POST' ? factor[2] : method === 'DELETE' && !factor[2])) {
    await requireNotAnonymous(req, deps);
    factorNotFound(factor[1]);
  }
  if (path === '/user/identities/authorize' || /^\/user\/identities\/[^/]+$/.test(path)) {
    await requireUser(req, deps.sql, deps.verifier);
    throw notFound('manual_linking_disabled', 'Manual linking is disabled');
  }
  if (path === '/passkeys' || path.startsWith('/passkeys/'))
    throw notFound('passkey_disabled', 'Passkeys are disabled');
  if (path === '/sso' || path.startsWith('/sso/')) throw notFound('saml_provider_disabled', 'SAML 2.0 is disabled');
  if (path.startsWith('/user/oauth/') || path.startsWith('/oauth/')) {
    throw notFound('feature_disabled', 'OAuth server is disabled');
  }
  return false;
}

/**
 * /admin/users/:id/factors[/:factor_id]: a user here never has a factor
 * (admin.mfa.listFactors answers [], deleting one is GoTrue's "Factor not found").
 * Called after the admin check; returns false for other paths.
 */
export async function handleAdminFactors(
  req: IncomingMessage,
  res: ServerResponse,
  deps: AuthDeps,
  rest: string,
): Promise<boolean> {
  const match = /^\/users\/([^/]+)\/factors(?:\/([^/]+))?$/.exec(rest);
  if (!match) return false;
  if (!UUID.test(match[1])) throw notFound('validation_failed', 'user_id must be an UUID');
  if (!(await findUserById(deps.sql, match[1]))) throw notFound('user_not_found', 'User not found');
  if (match[2] === undefined && req.method === 'GET') {
    sendJson(res, 200, []);
    return true;
  }
  if (match[2] !== undefined && (req.method === 'DELETE' || req.method === 'PUT')) factorNotFound(match[2]);
  return false;
}
