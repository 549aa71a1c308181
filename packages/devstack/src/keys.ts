import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { z } from 'zod';

// The Supabase CLI's well-known local development defaults (not secrets: every
// `supabase start` uses them). Override with the env vars below for anything else.
export const DEFAULT_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
export const DEFAULT_ANON_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0';
export const DEFAULT_SERVICE_ROLE_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU';

export interface StackKeys {
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
}

const keysSchema = z.object({
  DEVSTACK_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEFAULT_JWT_SECRET),
  DEVSTACK_ANON_KEY: z.string().min(1).optional(),
  DEVSTACK_SERVICE_ROLE_KEY: z.string().min(1).optional(),
});

/**
 * The JWT secret and API keys. With a custom secret and no explicit keys, the
 * keys are minted from it (same claims as the CLI's), so they always verify.
 */
export async function readKeys(env: Record<string, string | undefined> = process.env): Promise<StackKeys> {
  const parsed = keysSchema.parse(env);
  const secret = parsed.DEVSTACK_JWT_SECRET;
  const custom = secret !== DEFAULT_JWT_SECRET;
  const mint = (role: string) =>
    new SignJWT({ iss: 'supabase-demo', role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime(1983812996)
      .sign(new TextEncoder().encode(secret));
  return {
    jwtSecret: secret,
    anonKey: parsed.DEVSTACK_ANON_KEY ?? (custom ? await mint('anon') : DEFAULT_ANON_KEY),
    serviceRoleKey:
      parsed.DEVSTACK_SERVICE_ROLE_KEY ?? (custom ? await mint('service_role') : DEFAULT_SERVICE_ROLE_KEY),
  };
}

export type JwtFailure = 'expired' | 'invalid' | 'missing_role';

export class JwtError extends Error {
  constructor(
    readonly reason: JwtFailure,
    message: string,
  ) {
    super(message);
    this.name = 'JwtError';
  }
}

export interface VerifiedClaims extends JWTPayload {
  role: string;
  [claim: string]: unknown;
}

/**
 * Verifies an HS256 JWT as PostgREST, GoTrue and Realtime do: signature with the
 * shared secret, HS256 only (so `alg: none` and RS/HS confusion fail), `exp`
 * enforced, and a `role` claim required.
 */
export async function verifyJwt(token: string, secret: string): Promise<VerifiedClaims> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new JwtError('expired', 'JWT expired');
    throw new JwtError('invalid', err instanceof Error ? err.message : 'invalid JWT');
  }
  if (typeof payload.role !== 'string' || payload.role.length === 0) {
    throw new JwtError('missing_role', 'JWT has no role claim');
  }
  return payload as VerifiedClaims;
}
