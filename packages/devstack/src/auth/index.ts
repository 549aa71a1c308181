import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../gateway/http';
import { serviceLogger, type GatewayContext, type Service } from '../gateway/server';
import { tokenVerifier } from '../jwt';
import { getUser, logout, passwordGrant, refreshGrant, signup, updateUser } from './account';
import { handleAdmin } from './admin';
import { readAuthConfig, type AuthConfig } from './config';
import type { AuthDeps } from './context';
import { AuthHttpError, badRequest, sendAuthError } from './errors';
import { handleUnserved } from './unserved';
import { idTokenGrant, pkceGrant, web3Grant } from './unserved-grants';

/** What /health reports as GoTrue's version. */
export const AUTH_SERVICE_VERSION = 'devstack';

/** GET /settings as GoTrue reports it; features the dev stack does not serve are off. */
const settings = (config: AuthConfig) => ({
  external: {
    anonymous_users: config.enableAnonymousSignIns,
    apple: false,
    azure: false,
    bitbucket: false,
    discord: false,
    facebook: false,
    snapchat: false,
    figma: false,
    fly: false,
    github: false,
    gitlab: false,
    google: false,
    keycloak: false,
    kakao: false,
    linkedin: false,
    linkedin_oidc: false,
    notion: false,
    spotify: false,
    slack: false,
    slack_oidc: false,
    workos: false,
    twitch: false,
    twitter: false,
    email: config.emailEnabled,
    phone: false,
    zoom: false,
  },
  disable_signup: !config.enableSignup,
  mailer_autoconfirm: true,
  phone_autoconfirm: false,
  sms_provider: '',
  saml_enabled: false,
  saml_private_key_next_configured: false,
  passkeys_enabled: false,
});

const methodNotAllowed = (req: IncomingMessage) => () =>
  new AuthHttpError(405, 'not_found', `Method ${req.method ?? ''} is not allowed on ${req.url ?? ''}`);

type Handler = (req: IncomingMessage, res: ServerResponse, deps: AuthDeps, url: URL) => Promise<void>;

/** The fixed routes: path → method → handler. /admin is routed by handleAdmin. */
const ROUTES: Record<string, Record<string, Handler>> = {
  '/health': {
    GET: async (_req, res) =>
      sendJson(res, 200, {
        version: AUTH_SERVICE_VERSION,
        name: 'GoTrue',
        description: 'GoTrue is a user registration and authentication API',
      }),
  },
  '/settings': { GET: async (_req, res, deps) => sendJson(res, 200, settings(deps.config)) },
  // GoTrue's WellKnownJwks: the public signing keys, never the HMAC secret.
  '/.well-known/jwks.json': {
    GET: async (_req, res, deps) => sendJson(res, 200, deps.verifier.jwks, { 'cache-control': 'public, max-age=600' }),
  },
  '/signup': { POST: signup },
  '/token': {
    POST: async (req, res, deps, url) => {
      const grantType = url.searchParams.get('grant_type') ?? '';
      if (grantType === 'password') return passwordGrant(req, res, deps);
      if (grantType === 'refresh_token') return refreshGrant(req, res, deps);
      // Served as GoTrue answers them with their providers off (see unserved.ts).
      if (grantType === 'id_token') return idTokenGrant(req, res, deps);
      if (grantType === 'pkce') return pkceGrant(req, res, deps);
      if (grantType === 'web3') return web3Grant();
      // GoTrue's answer to any other grant type (token.go).
      throw badRequest('invalid_credentials', 'unsupported_grant_type');
    },
  },
  '/user': { GET: getUser, PUT: updateUser },
  '/logout': { POST: logout },
};

/**
 * A GoTrue-compatible auth service for the dev stack (email + password only,
 * autoconfirm on), serving what @supabase/supabase-js and @supabase/ssr call.
 */
export function createAuthService(ctx: GatewayContext): Service {
  const config = readAuthConfig(ctx.env, ctx.apiUrl, ctx.config.auth);
  const log = serviceLogger(ctx, 'auth');
  const deps: AuthDeps = {
    sql: ctx.sql,
    config,
    signer: { config, keys: ctx.keys },
    verifier: tokenVerifier(ctx.keys),
  };

  async function route(req: IncomingMessage, res: ServerResponse, rawPath: string, url: URL): Promise<void> {
    const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
    const methods = ROUTES[path];
    if (methods) {
      const handler = methods[req.method ?? ''];
      if (!handler) throw methodNotAllowed(req)();
      await handler(req, res, deps, url);
      return;
    }
    if (
      path.startsWith('/admin/') &&
      (await handleAdmin(req, res, deps, path.slice('/admin'.length), url, methodNotAllowed(req)))
    ) {
      return;
    }
    if (await handleUnserved(req, res, deps, path, url)) return;
    throw new AuthHttpError(
      404,
      'not_found',
      `${req.method ?? ''} ${path} is not served by the dev stack's auth service`,
    );
  }

  return {
    prefix: '/auth/v1',
    async handle(req, res, path, url) {
      // GoTrue exposes its pagination headers to browsers (listUsers reads them).
      const exposed = res.getHeader('access-control-expose-headers');
      res.setHeader(
        'access-control-expose-headers',
        [exposed, 'x-total-count, link, x-sb-error-code'].filter(Boolean).join(', '),
      );
      try {
        await route(req, res, path, url);
      } catch (err) {
        sendAuthError(req, res, err, log);
      }
    },
  };
}
