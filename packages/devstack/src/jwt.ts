// Signing and verifying the stack's JWTs, one implementation for every service.
// The rules are the intersection Supabase's services agree on:
//   - GoTrue (internal/api/auth.go parseJWTClaims, conf/jwk.go): a kid names
//     the key; HS256 without a matching kid falls back to the JWT secret; any
//     other algorithm needs a kid from the key set.
//   - Realtime (jwt_verification.ex generate_signer): ES* and RS* need a kid
//     present in the JWKS; HS* uses the secret; anything else has no signer.
//   - PostgREST verifies against the JWKS the CLI gives it (signing keys plus
//     the secret as an "oct" key).
// So: ES256 with a known kid, or HS256 with the legacy secret; `none`, other
// algorithms, unknown kids and HS256 keyed with a public key all fail.
import { compactVerify, decodeProtectedHeader, errors as joseErrors, importJWK, SignJWT, type JWTPayload } from 'jose';
import type { JwtAlgorithm, StackKeys } from './keys';
import { canSign, publicJwks, type PrivateSigningJwk, type PublicSigningJwk } from './signing-keys';

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

export type JwtFailure =
  | 'malformed'
  /** An algorithm this stack does not accept (none, RS256, ES256 in HS256 mode…). */
  | 'algorithm'
  /** ES256 without a kid, or a kid that is not in the key set. */
  | 'unknown_kid'
  /** HS256 whose kid names an asymmetric key (GoTrue: "key is of invalid type"). */
  | 'key_type'
  | 'signature'
  | 'expired'
  | 'not_yet_valid'
  | 'missing_role';

/** Why a token was refused; each service turns `reason` into its own wording. */
export class JwtError extends Error {
  constructor(
    readonly reason: JwtFailure,
    message: string,
    readonly header: { alg?: unknown; kid?: unknown } = {},
  ) {
    super(message);
    this.name = 'JwtError';
  }
}

export interface VerifiedClaims extends JWTPayload {
  role: string;
  [claim: string]: unknown;
}

export interface VerifyOptions {
  /** Seconds of clock skew allowed on exp and nbf (PostgREST: 30; GoTrue and Realtime: 0). */
  clockToleranceSec?: number;
}

export interface TokenVerifier {
  /** ES256 mode accepts ES256 (a kid of the key set) and HS256 (the secret); HS256 mode, HS256 alone. */
  readonly algorithm: JwtAlgorithm;
  /** The public keys, as GET /auth/v1/.well-known/jwks.json serves them (none in HS256 mode). */
  readonly jwks: { keys: PublicSigningJwk[] };
  /**
   * Verifies signature, algorithm and kid, then exp and nbf, and requires a
   * `role` claim (JwtError 'missing_role' only after everything else passed).
   */
  verify(token: string, options?: VerifyOptions): Promise<VerifiedClaims>;
}

const verifiers = new WeakMap<StackKeys, TokenVerifier>();

/** The verifier for a key set (one per StackKeys object, keys imported once). */
export function tokenVerifier(keys: StackKeys): TokenVerifier {
  let verifier = verifiers.get(keys);
  if (!verifier) {
    verifier = createTokenVerifier(keys);
    verifiers.set(keys, verifier);
  }
  return verifier;
}

function createTokenVerifier(keys: StackKeys): TokenVerifier {
  const secret = new TextEncoder().encode(keys.jwtSecret);
  const byKid = new Map<string, Promise<VerifyKey>>();
  for (const jwk of keys.signingKeys) {
    const imported = importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, 'ES256');
    imported.catch(() => {}); // surfaced when a token names this kid
    byKid.set(jwk.kid, imported);
  }

  async function keyFor(header: { alg?: unknown; kid?: unknown }): Promise<VerifyKey> {
    const { alg, kid } = header;
    if (alg === 'HS256') {
      if (typeof kid === 'string' && byKid.has(kid))
        throw new JwtError('key_type', `HS256 token names the ${String(kid)} key, which is not an HMAC key`, header);
      return secret;
    }
    if (alg === 'ES256' && keys.jwtAlgorithm === 'ES256') {
      const key = typeof kid === 'string' ? byKid.get(kid) : undefined;
      if (!key) throw new JwtError('unknown_kid', `unrecognized JWT kid ${String(kid)} for algorithm ES256`, header);
      return key;
    }
    throw new JwtError('algorithm', `signing method ${String(alg)} is invalid`, header);
  }

  return {
    algorithm: keys.jwtAlgorithm,
    jwks: publicJwks(keys.signingKeys),
    async verify(token, options = {}) {
      if (token.split('.').length !== 3)
        throw new JwtError('malformed', 'token contains an invalid number of segments');
      let header: { alg?: unknown; kid?: unknown };
      try {
        header = decodeProtectedHeader(token);
      } catch {
        throw new JwtError('malformed', 'could not JSON decode header');
      }
      const key = await keyFor(header);
      let payloadBytes: Uint8Array;
      try {
        ({ payload: payloadBytes } = await compactVerify(token, key, { algorithms: [String(header.alg)] }));
      } catch (err) {
        if (err instanceof joseErrors.JWSSignatureVerificationFailed)
          throw new JwtError('signature', 'signature is invalid', header);
        throw new JwtError('malformed', err instanceof Error ? err.message : 'invalid JWT', header);
      }
      let payload: unknown;
      try {
        payload = JSON.parse(new TextDecoder().decode(payloadBytes));
      } catch {
        throw new JwtError('malformed', 'could not JSON decode claims', header);
      }
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
        throw new JwtError('malformed', 'claims are not a JSON object', header);
      const claims = payload as Record<string, unknown>;
      const now = Math.floor(Date.now() / 1000);
      const tolerance = options.clockToleranceSec ?? 0;
      if (typeof claims.exp === 'number' && now >= claims.exp + tolerance)
        throw new JwtError('expired', 'token is expired', header);
      if (typeof claims.nbf === 'number' && now + tolerance < claims.nbf)
        throw new JwtError('not_yet_valid', 'token is not valid yet', header);
      if (typeof claims.role !== 'string' || claims.role.length === 0)
        throw new JwtError('missing_role', 'JWT has no role claim', header);
      return claims as VerifiedClaims;
    },
  };
}

const signingKeyCache = new WeakMap<StackKeys, Promise<{ key: VerifyKey; jwk: PrivateSigningJwk }>>();

/**
 * Signs `claims` as the stack's Auth service does: ES256 with the current
 * signing key (header alg, kid, typ) in ES256 mode, HS256 with the JWT secret
 * in legacy mode. Claims are written as given (set exp/iat yourself).
 */
export async function signJwt(keys: StackKeys, claims: Record<string, unknown>): Promise<string> {
  if (keys.jwtAlgorithm === 'HS256') {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(keys.jwtSecret));
  }
  let signing = signingKeyCache.get(keys);
  if (!signing) {
    const jwk = keys.signingKeys.find(canSign);
    if (!jwk) throw new Error('ES256 mode without a signing key');
    // WebCrypto refuses "verify" in the usages of a private EC key: import without key_ops.
    signing = importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d }, 'ES256').then((key) => ({
      key,
      jwk,
    }));
    signingKeyCache.set(keys, signing);
  }
  const { key, jwk } = await signing;
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: 'JWT' }).sign(key);
}
