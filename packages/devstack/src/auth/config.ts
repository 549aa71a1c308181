import { z } from 'zod';
import { PASSWORD_REQUIREMENTS, type Env, type PasswordRequirement, type SupabaseConfig } from '../supabase-config';
import type { PasswordPolicy } from './passwords';

const seconds = z.coerce.number().int().positive();
// An empty variable means "unset", so the variable spells config.toml's "" (no requirement) as "none".
const requirement = z
  .enum([...(Object.keys(PASSWORD_REQUIREMENTS) as PasswordRequirement[]), 'none'])
  .transform((value): PasswordRequirement => (value === 'none' ? '' : value));

/** DEVSTACK_* overrides of config.toml's [auth] settings (each defaults to the file's value). */
function authEnvSchema(project: SupabaseConfig['auth']) {
  return z.object({
    /** Access token lifetime: [auth] jwt_expiry (GoTrue: GOTRUE_JWT_EXP). */
    DEVSTACK_JWT_EXPIRY: seconds.default(project.jwtExpiry),
    /** How long a rotated refresh token may still be used: [auth] refresh_token_reuse_interval. */
    DEVSTACK_REFRESH_TOKEN_REUSE_INTERVAL: z.coerce.number().int().min(0).default(project.refreshTokenReuseInterval),
    /** [auth] enable_refresh_token_rotation (GOTRUE_SECURITY_REFRESH_TOKEN_ROTATION_ENABLED). */
    DEVSTACK_ENABLE_REFRESH_TOKEN_ROTATION: z.stringbool().default(project.enableRefreshTokenRotation),
    /** [auth] minimum_password_length (GOTRUE_PASSWORD_MIN_LENGTH). */
    DEVSTACK_MINIMUM_PASSWORD_LENGTH: z.coerce.number().int().min(0).default(project.minimumPasswordLength),
    /** [auth] password_requirements (GOTRUE_PASSWORD_REQUIRED_CHARACTERS); "none" for no requirement. */
    DEVSTACK_PASSWORD_REQUIREMENTS: requirement.default(project.passwordRequirements),
    /** [auth] enable_signup (GOTRUE_DISABLE_SIGNUP is its negation). */
    DEVSTACK_ENABLE_SIGNUP: z.stringbool().default(project.enableSignup),
    /** [auth] enable_anonymous_sign_ins (GOTRUE_EXTERNAL_ANONYMOUS_USERS_ENABLED). */
    DEVSTACK_ENABLE_ANONYMOUS_SIGN_INS: z.stringbool().default(project.enableAnonymousSignIns),
  });
}

export interface AuthConfig {
  jwtExpiry: number;
  refreshTokenReuseInterval: number;
  /** When off, reusing a refresh token outside the interval fails without ending its session (GoTrue). */
  refreshTokenRotation: boolean;
  password: PasswordPolicy;
  /** False: POST /signup, anonymous sign-ins included, answer signup_disabled (admin createUser still works). */
  enableSignup: boolean;
  enableAnonymousSignIns: boolean;
  /** GoTrue's email provider ([auth.email] enable_signup): off, email sign-ups and sign-ins are refused. */
  emailEnabled: boolean;
  /** GoTrue's JWT_AUD / JWT_DEFAULT_GROUP_NAME defaults. */
  audience: string;
  defaultRole: string;
  /** Roles that may call /admin (GoTrue's JWT_ADMIN_ROLES default). */
  adminRoles: readonly string[];
  /** GoTrue's `iss` claim: [auth] jwt_issuer or external_url, else <api url>/auth/v1, as the CLI configures it. */
  issuer: string;
  bodyLimit: number;
}

/**
 * The auth service's settings: config.toml's [auth] values (`project`),
 * overridden by DEVSTACK_* variables; fails with every problem listed at once.
 */
export function readAuthConfig(env: Env, apiUrl: string, project: SupabaseConfig['auth']): AuthConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = authEnvSchema(project).safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid auth service environment:\n${problems}`);
  }
  const e = parsed.data;
  return {
    jwtExpiry: e.DEVSTACK_JWT_EXPIRY,
    refreshTokenReuseInterval: e.DEVSTACK_REFRESH_TOKEN_REUSE_INTERVAL,
    refreshTokenRotation: e.DEVSTACK_ENABLE_REFRESH_TOKEN_ROTATION,
    password: {
      minLength: e.DEVSTACK_MINIMUM_PASSWORD_LENGTH,
      requiredCharacters: PASSWORD_REQUIREMENTS[e.DEVSTACK_PASSWORD_REQUIREMENTS],
    },
    enableSignup: e.DEVSTACK_ENABLE_SIGNUP,
    enableAnonymousSignIns: e.DEVSTACK_ENABLE_ANONYMOUS_SIGN_INS,
    emailEnabled: project.emailEnabled,
    audience: 'authenticated',
    defaultRole: 'authenticated',
    adminRoles: ['service_role', 'supabase_admin'],
    issuer: project.jwtIssuer ?? `${apiUrl.replace(/\/+$/, '')}/auth/v1`,
    bodyLimit: 1024 * 1024,
  };
}
