import { z } from 'zod';

const seconds = z.coerce.number().int().positive();

const authEnvSchema = z.object({
  /** Access token lifetime (GoTrue: GOTRUE_JWT_EXP; `supabase start` default 3600). */
  DEVSTACK_JWT_EXPIRY: seconds.default(3600),
  /** How long a rotated refresh token may still be used (GoTrue: GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL). */
  DEVSTACK_REFRESH_TOKEN_REUSE_INTERVAL: z.coerce.number().int().min(0).default(10),
});

export interface AuthConfig {
  jwtExpiry: number;
  refreshTokenReuseInterval: number;
  /** The `supabase start` default (auth.minimum_password_length). */
  passwordMinLength: number;
  /** GoTrue's JWT_AUD / JWT_DEFAULT_GROUP_NAME defaults. */
  audience: string;
  defaultRole: string;
  /** Roles that may call /admin (GoTrue's JWT_ADMIN_ROLES default). */
  adminRoles: readonly string[];
  /** GoTrue's `iss` claim: <api url>/auth/v1, as the CLI configures it. */
  issuer: string;
  bodyLimit: number;
}

/** Reads the auth service's settings, failing with every problem listed at once. */
export function readAuthConfig(env: NodeJS.ProcessEnv, apiUrl: string): AuthConfig {
  const parsed = authEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid auth service environment:\n${problems}`);
  }
  return {
    jwtExpiry: parsed.data.DEVSTACK_JWT_EXPIRY,
    refreshTokenReuseInterval: parsed.data.DEVSTACK_REFRESH_TOKEN_REUSE_INTERVAL,
    passwordMinLength: 6,
    audience: 'authenticated',
    defaultRole: 'authenticated',
    adminRoles: ['service_role', 'supabase_admin'],
    issuer: `${apiUrl.replace(/\/+$/, '')}/auth/v1`,
    bodyLimit: 1024 * 1024,
  };
}
