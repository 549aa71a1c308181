import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { sendJson } from '../gateway/http';
import { requireUser } from './authenticate';
import type { AuthDeps } from './context';
import { AuthHttpError, badRequest, notFound, OAuthError, unprocessable } from './errors';
import { readJsonBody } from './schemas';
import { emailOrThrow } from './account';
import { findUserById } from './users';

// GoTrue features the dev stack does not serve (OAuth and OIDC providers, PKCE
// flows, Web3, MFA, passkeys, SAML SSO, manual linking, the OAuth server). They
// are off in the CLI's default config.toml, and each endpoint answers as GoTrue
// answers with the feature off: same status, error code and message
// (supabase/auth: internal/api/token_oidc.go, token.go, web3.go, external.go,
// mfa.go, admin.go, middleware.go). Turning one on in config.toml makes the
// stack warn at start that it is not served.

const text = z.string().nullish();

/** GoTrue's provider names (internal/api/provider_constants.go) reached through /authorize. */
const OAUTH_PROVIDERS = new Set([
  'apple',
  'azure',
  'bitbucket',
  'discord',
  'facebook',
  'figma',
  'fly',
  'github',
  'gitlab',
  'google',
  'kakao',
  'keycloak',
  'linkedin',
  'linkedin_oidc',
  'notion',
  'snapchat',
  'spotify',
  'slack',
  'slack_oidc',
  'twitch',
  'twitter',
  'x',
  'vercel_marketplace',
  'workos',
  'zoom',
]);

/** GET /authorize?provider=…: GoTrue's ExternalProviderRedirect with every provider disabled. */
export async function authorize(_req: IncomingMessage, _res: ServerResponse, _deps: AuthDeps, url: URL): Promise<void> {
  const name = (url.searchParams.get('provider') ?? '').toLowerCase();
  const problem = name.startsWith('custom:')
    ? 'custom OAuth providers are disabled'
    : OAUTH_PROVIDERS.has(name)
      ? 'provider is not enabled'
      : `Provider ${name} could not be found`;
  throw badRequest('validation_failed', `Unsupported provider: ${problem}`);
}

const idTokenBody = z.object({
  id_token: text,
  access_token: text,
  nonce: text,
  provider: text,
  client_id: text,
  issuer: text,
  link_identity: z.boolean().nullish(),
});

/** The `iss` of a JWT, read without verifying it (GoTrue's Detect…IDTokenIssuer). */
function unverifiedIssuer(token: string, provider: string): string {
  const parts = token.split('.');
  try {
    if (parts.length !== 3) throw new Error('not a JWT');
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof payload.iss === 'string' ? payload.iss : '';
  } catch {
    throw badRequest('validation_failed', `Unable to detect issuer in ID token for ${provider} provider`);
  }
}

const APPLE_ISSUERS = ['https://appleid.apple.com', 'https://account.apple.com'];
const AZURE_ISSUER = /^https:\/\/login[.]microsoftonline[.]com\/([^/]+)\/v2[.]0\/?$/;
/** Providers whose ID tokens have one fixed issuer (GoTrue's provider.Issuer… constants). */
const FIXED_ISSUERS: Record<string, string> = {
  google: 'https://accounts.google.com',
  facebook: 'https://www.facebook.com',
  kakao: 'https://kauth.kakao.com',
  vercel_marketplace: 'https://marketplace.vercel.com',
  snapchat: 'https://accounts.snapchat.com/accounts/oauth2/token',
};

/** The issuer GoTrue's IdTokenGrantParams.getProvider settles on before finding the provider disabled. */
function idTokenIssuer(provider: string, issuer: string, idToken: string): string {
  if (provider === 'apple' || APPLE_ISSUERS.includes(issuer)) {
    const detected = unverifiedIssuer(idToken, 'Apple');
    if (!APPLE_ISSUERS.includes(detected)) {
      throw badRequest('validation_failed', 'Detected ID token issuer is not an Apple ID token issuer');
    }
    if (issuer && issuer !== detected)
      throw badRequest('validation_failed', 'Provided issuer does not match ID token issuer');
    return detected;
  }
  for (const [name, fixed] of Object.entries(FIXED_ISSUERS)) {
    if (provider === name || issuer === fixed) return fixed;
  }
  if (provider === 'azure' || AZURE_ISSUER.test(issuer)) {
    const detected = unverifiedIssuer(idToken, 'Azure');
    if (
      !detected.startsWith('https://login.microsoftonline.com/') &&
      !detected.startsWith('https://sts.windows.net/')
    ) {
      throw badRequest('validation_failed', 'Detected ID token issuer is not an Azure ID token issuer');
    }
    if (issuer && issuer !== detected)
      throw badRequest('validation_failed', 'Provided issuer does not match ID token issuer');
    return detected;
  }
  if (provider === 'keycloak') return ''; // GoTrue uses [auth.external.keycloak] url, empty when off
  if (provider.startsWith('custom:')) throw badRequest('validation_failed', 'Custom OAuth providers are disabled');
  // GoTrue accepts other issuers only when listed in GOTRUE_EXTERNAL_ALLOWED_ID_TOKEN_ISSUERS (empty in the CLI).
  throw badRequest('validation_failed', `Custom OIDC provider ${JSON.stringify(provider)} not allowed`);
}

/** POST /token?grant_type=id_token (signInWithIdToken): GoTrue's IdTokenGrant, no OIDC provider enabled. */
export async function idTokenGrant(req: IncomingMessage, _res: ServerResponse, deps: AuthDeps): Promise<void> {
  const body = await readJsonBody(req, idTokenBody, deps.config.bodyLimit);
  const idToken = body.id_token ?? '';
  const provider = body.provider ?? '';
  const issuer = body.issuer ?? '';
  if (!idToken) throw new OAuthError('invalid request', 'id_token required');
  if (!provider && (!body.client_id || !issuer)) {
    throw new OAuthError('invalid request', 'provider or client_id and issuer required');
  }
  if (body.link_identity) {
    if (!req.headers.authorization) {
      throw new OAuthError('invalid request', 'Linking requires a valid user access token in Authorization');
    }
    await requireUser(req, deps.sql, deps.verifier);
  }
  const resolved = idTokenIssuer(provider, issuer, idToken);
  throw badRequest('provider_disabled', `Provider (issuer ${JSON.stringify(resolved)}) is not enabled`);
}

const pkceBody = z.object({ auth_code: text, code_verifier: text });

/**
 * POST /token?grant_type=pkce (exchangeCodeForSession). The dev stack never
 * issues an auth code (no OAuth, magic links or email confirmations), so every
 * code is unknown: GoTrue's answer for a code without a flow state.
 */
export async function pkceGrant(req: IncomingMessage, _res: ServerResponse, deps: AuthDeps): Promise<void> {
  const body = await readJsonBody(req, pkceBody, deps.config.bodyLimit);
  if (!body.auth_code || !body.code_verifier) {
    throw badRequest('validation_failed', 'invalid request: both auth code and code verifier should be non-empty');
  }
  throw notFound('flow_state_not_found', 'invalid flow state, no valid flow state found');
}

/** POST /token?grant_type=web3 (signInWithWeb3): GoTrue's Web3Grant with both chains off. */
export async function web3Grant(): Promise<void> {
  throw unprocessable('web3_provider_disabled', 'Web3 provider is disabled');
}

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
