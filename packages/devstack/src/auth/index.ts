import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../gateway/http';
import type { GatewayContext, Service } from '../gateway/server';
import { tokenVerifier } from '../jwt';
import { getUser, logout, passwordGrant, refreshGrant, signup, updateUser } from './account';
import { handleAdmin } from './admin';
import { readAuthConfig } from './config';
import type { AuthDeps } from './context';
import { AuthHttpError, badRequest, sendAuthError } from './errors';

/** What /health reports as GoTrue's version. */
export const AUTH_SERVICE_VERSION = 'devstack';

const SETTINGS = {
  external: {
    anonymous_users: false,
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
    email: true,
    phone: false,
    zoom: false,
  },
  disable_signup: false,
  mailer_autoconfirm: true,
  phone_autoconfirm: false,
  sms_provider: '',
  saml_enabled: false,
  saml_private_key_next_configured: false,
  passkeys_enabled: false,
} as const;

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
  '/settings': { GET: async (_req, res) => sendJson(res, 200, SETTINGS) },
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
      // GoTrue answers every other grant type (id_token, pkce, web3 here too: not implemented) this way.
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
  const config = readAuthConfig(ctx.env, ctx.apiUrl);
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
        sendAuthError(req, res, err);
      }
    },
  };
}
