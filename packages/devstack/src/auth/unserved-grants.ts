import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { requireUser } from './authenticate';
import type { AuthDeps } from './context';
import { badRequest, notFound, OAuthError, unprocessable } from './errors';
import { readJsonBody } from './schemas';

// Sign-in methods the dev stack does not serve, answered as GoTrue answers with
// them off (supabase/auth: internal/api/external.go, token_oidc.go, token.go,
// web3.go): OAuth redirects, ID tokens, the PKCE code exchange, Web3.

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
