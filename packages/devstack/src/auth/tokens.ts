import { randomInt } from 'node:crypto';
import { signJwt } from '../jwt';
import type { StackKeys } from '../keys';
import type { AuthConfig } from './config';
import type { GoTrueUser, UserRow } from './users';

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date | null;
  not_after: Date | null;
  aal: string | null;
  /** The session's AMR entries (auth.mfa_amr_claims), most recent first; absent: password at the session's start. */
  amr?: { method: string; timestamp: number }[];
}

/** The claims GoTrue puts in an access token (tokens.AccessTokenClaims), in its order. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  email: string;
  phone: string;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  role: string;
  aal: string;
  amr: { method: string; timestamp: number }[];
  session_id: string;
  is_anonymous: boolean;
}

/** GoTrue's session response (tokens.AccessTokenResponse). */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  expires_at: number;
  refresh_token: string;
  user: GoTrueUser;
  weak_password?: { message: string; reasons: string[] };
}

export interface TokenSigner {
  config: AuthConfig;
  /** ES256 with the current signing key (kid in the header), or HS256 with the JWT secret in legacy mode. */
  keys: StackKeys;
}

export async function signAccessToken(
  signer: TokenSigner,
  user: UserRow,
  session: SessionRow,
): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + signer.config.jwtExpiry;
  const sessionStart = session.created_at ?? new Date();
  // Sessions opened before auth.mfa_amr_claims existed have no entry: they were password sign-ins.
  const claims: AccessTokenClaims = {
    iss: signer.config.issuer,
    sub: user.id,
    aud: user.aud ?? signer.config.audience,
    exp,
    iat,
    email: user.email ?? '',
    phone: user.phone ?? '',
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    role: user.role ?? signer.config.defaultRole,
    aal: session.aal ?? 'aal1',
    amr: session.amr?.length
      ? session.amr
      : [{ method: 'password', timestamp: Math.floor(sessionStart.getTime() / 1000) }],
    session_id: session.id,
    is_anonymous: user.is_anonymous,
  };
  const token = await signJwt(signer.keys, { ...claims });
  return { token, expiresAt: exp };
}

const REFRESH_TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const REFRESH_TOKEN_LENGTH = 12;

/** A refresh token in GoTrue's (v1) format: 12 random lowercase letters and digits. */
export function newRefreshToken(): string {
  let token = '';
  for (let i = 0; i < REFRESH_TOKEN_LENGTH; i++)
    token += REFRESH_TOKEN_ALPHABET[randomInt(REFRESH_TOKEN_ALPHABET.length)];
  return token;
}

/** GoTrue's RefreshTokenGrantParams.Validate for the token format this stack issues. */
export function isWellFormedRefreshToken(token: string): boolean {
  return /^[a-z0-9]{12}$/.test(token);
}
