// The API-key step of the gateway, done where Kong does it in front of GoTrue,
// PostgREST and Realtime, so those services only ever see JWTs.
//
// Supabase CLI 2.117 (internal/start/start.go, the kongConfig BearerToken and
// QueryToken expressions of templates/kong.yml):
//   - an `Authorization: Bearer sb_…` header is dropped (supabase-js sends the
//     key there too); any other Authorization passes unchanged;
//   - `apikey: <publishable key>` becomes `Authorization: Bearer <anon JWT>`,
//     `apikey: <secret key>` becomes `Bearer <service_role JWT>` (when no JWT
//     was sent); the Realtime socket's `?apikey=` query is mapped the same way.
// Hosted Supabase adds two answers the local Kong does not give, and so do we:
//   - an `sb_` key the project does not have: 401 "Invalid API key";
//   - a secret key sent by a browser: 401 "Forbidden use of secret API key in
//     browser". Supabase's API-keys guide: "You cannot use a secret key in the
//     browser (matches on the User-Agent header) and it will always reply with
//     HTTP 401 Unauthorized." Every browser's User-Agent starts with
//     "Mozilla/" and a page cannot change it, so that is the match.
import type { IncomingMessage } from 'node:http';
import type { StackKeys } from '../keys';
import { HttpError } from './http';

/** Every major browser (and nothing else by default) sends a User-Agent starting with this. */
const BROWSER_USER_AGENT = /^Mozilla\//;

export const INVALID_API_KEY_BODY = {
  message: 'Invalid API key',
  hint: 'Double check your Supabase `anon` or `service_role` API key.',
};
export const SECRET_KEY_IN_BROWSER_BODY = { message: 'Forbidden use of secret API key in browser' };

/** True when the request comes from a browser, by Supabase's rule (its User-Agent). */
export function isBrowserRequest(req: IncomingMessage): boolean {
  const ua = req.headers['user-agent'];
  return typeof ua === 'string' && BROWSER_USER_AGENT.test(ua);
}

/**
 * The legacy JWT an opaque API key stands for: the anon key for the
 * publishable key, the service_role key for the secret key. Returns the value
 * unchanged when it is not an `sb_` key. Throws HttpError 401 for an unknown
 * `sb_` key, and for the secret key from a browser.
 */
export function resolveApiKey(value: string, req: IncomingMessage, keys: StackKeys): string {
  if (!value.startsWith('sb_')) return value;
  if (value === keys.publishableKey) return keys.anonKey;
  if (value === keys.secretKey) {
    if (isBrowserRequest(req)) throw new HttpError(401, SECRET_KEY_IN_BROWSER_BODY);
    return keys.serviceRoleKey;
  }
  throw new HttpError(401, INVALID_API_KEY_BODY);
}

/**
 * Rewrites a request's credentials as Kong does (see the top of this file):
 * afterwards `apikey` and `Authorization` hold JWTs (or nothing), and so does
 * the `apikey` query parameter of `url` (the Realtime socket's).
 */
export function applyApiKeys(req: IncomingMessage, url: URL, keys: StackKeys): void {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer sb_')) delete req.headers.authorization;
  const header = req.headers.apikey;
  if (typeof header === 'string' && header) {
    const mapped = resolveApiKey(header, req, keys);
    req.headers.apikey = mapped;
    if (mapped !== header && req.headers.authorization === undefined) req.headers.authorization = `Bearer ${mapped}`;
  }
  const query = url.searchParams.get('apikey');
  if (query) url.searchParams.set('apikey', resolveApiKey(query, req, keys));
}
