import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../gateway/http';
import type { Logger } from '../log-json';

/** GoTrue's error codes that this service can answer with (internal/api/apierrors/errorcode.go). */
export type AuthErrorCode =
  | 'unknown'
  | 'unexpected_failure'
  | 'validation_failed'
  | 'bad_json'
  | 'email_exists'
  | 'bad_jwt'
  | 'not_admin'
  | 'no_authorization'
  | 'user_not_found'
  | 'session_not_found'
  | 'session_expired'
  | 'refresh_token_not_found'
  | 'refresh_token_already_used'
  | 'user_banned'
  | 'email_not_confirmed'
  | 'phone_provider_disabled'
  | 'anonymous_provider_disabled'
  | 'user_already_exists'
  | 'same_password'
  | 'invalid_credentials'
  | 'weak_password'
  | 'request_entity_too_large'
  | 'signup_disabled'
  | 'email_provider_disabled'
  | 'provider_disabled'
  | 'flow_state_not_found'
  | 'web3_provider_disabled'
  | 'otp_disabled'
  | 'manual_linking_disabled'
  | 'passkey_disabled'
  | 'saml_provider_disabled'
  | 'feature_disabled'
  | 'mfa_phone_enroll_not_enabled'
  | 'mfa_totp_enroll_not_enabled'
  | 'mfa_webauthn_enroll_not_enabled'
  | 'mfa_factor_not_found'
  | 'not_found';

/** An error answered as GoTrue's HTTPError: `{code, error_code, msg}`, or `{code, message}` from API version 2024-01-01. */
export class AuthHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: AuthErrorCode,
    message: string,
    /** Extra body fields (GoTrue's `weak_password: {reasons}`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AuthHttpError';
  }
}

/** GoTrue's OAuth-style error (`{error, error_description}`), used by a few /token paths. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

export const badRequest = (code: AuthErrorCode, msg: string) => new AuthHttpError(400, code, msg);
export const forbidden = (code: AuthErrorCode, msg: string) => new AuthHttpError(403, code, msg);
export const notFound = (code: AuthErrorCode, msg: string) => new AuthHttpError(404, code, msg);
export const unprocessable = (code: AuthErrorCode, msg: string) => new AuthHttpError(422, code, msg);

export function weakPassword(message: string, reasons: string[]): AuthHttpError {
  return new AuthHttpError(422, 'weak_password', message, { weak_password: { reasons } });
}

export const API_VERSION_HEADER = 'x-supabase-api-version';
const API_VERSION_2024_01_01 = Date.UTC(2024, 0, 1);

/**
 * The API version a request asked for, as GoTrue's DetermineClosestAPIVersion:
 * a YYYY-MM-DD date on or after 2024-01-01 selects '2024-01-01'; anything else
 * (absent, invalid, older) selects the initial version (null).
 */
export function requestedApiVersion(req: IncomingMessage): '2024-01-01' | null {
  const raw = req.headers[API_VERSION_HEADER];
  if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(raw)) return null;
  const parsed = Date.parse(`${raw}T00:00:00Z`);
  return Number.isFinite(parsed) && parsed >= API_VERSION_2024_01_01 ? '2024-01-01' : null;
}

/** Writes an error the way GoTrue's HandleResponseError does, including the version echo and x-sb-error-code. */
export function sendAuthError(req: IncomingMessage, res: ServerResponse, err: unknown, log: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const version = requestedApiVersion(req);
  const headers: Record<string, string> = version ? { [API_VERSION_HEADER]: version } : {};
  if (err instanceof OAuthError) {
    sendJson(res, 400, { error: err.error, error_description: err.description }, headers);
    return;
  }
  const httpError =
    err instanceof AuthHttpError ? err : new AuthHttpError(500, 'unexpected_failure', 'Internal server error');
  if (!(err instanceof AuthHttpError))
    log.error('unhandled error', {
      request_id: res.getHeader('x-request-id'),
      method: req.method,
      path: req.url,
      status: 500,
      err,
    });
  headers['x-sb-error-code'] = httpError.code;
  const body = version
    ? { code: httpError.code, message: httpError.message, ...httpError.extra }
    : { code: httpError.status, error_code: httpError.code, msg: httpError.message, ...httpError.extra };
  sendJson(res, httpError.status, body, headers);
}
