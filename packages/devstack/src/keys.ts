// The dev stack's API keys and JWT signing settings, from the environment.
import { SignJWT } from 'jose';
import { z } from 'zod';
import { StackError } from './errors';
import { generateSigningKey, loadOrCreateSigningKeys, parseSigningKeys, type PrivateSigningJwk } from './signing-keys';

// The Supabase CLI's well-known local development defaults (not secrets: every
// `supabase start` uses them). Override with the env vars below for anything else.
export const DEFAULT_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
export const DEFAULT_ANON_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0';
export const DEFAULT_SERVICE_ROLE_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU';
/** CLI 2.117's local publishable key (pkg/config/apikeys.go), mapped to the anon role. */
export const DEFAULT_PUBLISHABLE_KEY = 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH';
/** CLI 2.117's local secret key, mapped to the service_role role. */
export const DEFAULT_SECRET_KEY = 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';

/** sb_publishable_ / sb_secret_ followed by the key body (base64url characters). */
export const PUBLISHABLE_KEY_PATTERN = /^sb_publishable_[A-Za-z0-9_-]{20,}$/;
export const SECRET_KEY_PATTERN = /^sb_secret_[A-Za-z0-9_-]{20,}$/;

export type JwtAlgorithm = 'ES256' | 'HS256';

export interface StackKeys {
  /** How user access tokens are signed: ES256 (default, as on projects with asymmetric keys) or HS256 (legacy). */
  jwtAlgorithm: JwtAlgorithm;
  /**
   * The legacy HS256 secret. It signs the anon / service_role keys (and user
   * tokens in HS256 mode); HS256 tokens signed with it verify in both modes,
   * as legacy keys do on a project that moved to signing keys.
   */
  jwtSecret: string;
  /** Legacy JWT API keys. */
  anonKey: string;
  serviceRoleKey: string;
  /** Opaque API keys, mapped to anon / service_role at the gateway. */
  publishableKey: string;
  secretKey: string;
  /** ES256 mode: the private signing keys (the first that may sign signs; all verify). Empty in HS256 mode. */
  signingKeys: PrivateSigningJwk[];
  /** Where the signing keys came from: DEVSTACK_JWT_KEYS, a file, or "memory" (a fresh pair); null in HS256 mode. */
  signingKeysSource: string | null;
}

const optional = z.string().min(1).optional();

const keysSchema = z.object({
  DEVSTACK_JWT_ALGORITHM: z
    .enum(['ES256', 'HS256'], { error: 'must be ES256 (the default) or HS256 (legacy signing with the JWT secret)' })
    .default('ES256'),
  DEVSTACK_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEFAULT_JWT_SECRET),
  DEVSTACK_JWT_KEYS: optional,
  DEVSTACK_ANON_KEY: optional,
  DEVSTACK_SERVICE_ROLE_KEY: optional,
  DEVSTACK_PUBLISHABLE_KEY: z
    .string()
    .regex(PUBLISHABLE_KEY_PATTERN, 'must look like sb_publishable_… (letters, digits, - and _)')
    .default(DEFAULT_PUBLISHABLE_KEY),
  DEVSTACK_SECRET_KEY: z
    .string()
    .regex(SECRET_KEY_PATTERN, 'must look like sb_secret_… (letters, digits, - and _)')
    .default(DEFAULT_SECRET_KEY),
});

export interface ReadKeysOptions {
  /**
   * Where ES256 signing keys are kept between runs; a new pair is created there
   * on first start. Without it (tests), a fresh pair is made in memory.
   */
  signingKeysFile?: string;
}

/**
 * The stack's keys. With a custom JWT secret and no explicit legacy keys, the
 * anon / service_role keys are minted from it (same claims as the CLI's), so
 * they always verify. In ES256 mode the signing keys come from
 * DEVSTACK_JWT_KEYS (a private JWK or an array of them), else from
 * `options.signingKeysFile`, else a new pair in memory.
 * Throws a StackError naming every invalid variable.
 */
export async function readKeys(
  env: Record<string, string | undefined> = process.env,
  options: ReadKeysOptions = {},
): Promise<StackKeys> {
  // An empty variable (e.g. `DEVSTACK_JWT_KEYS=` in .env.local) means "not set".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = keysSchema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new StackError(`Invalid dev stack key settings:\n${problems}`, 'Fix or unset these variables (see README).');
  }
  const parsed = result.data;
  const secret = parsed.DEVSTACK_JWT_SECRET;
  const custom = secret !== DEFAULT_JWT_SECRET;
  const mint = (role: string) =>
    new SignJWT({ iss: 'supabase-demo', role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime(1983812996)
      .sign(new TextEncoder().encode(secret));

  let signingKeys: PrivateSigningJwk[] = [];
  let signingKeysSource: string | null = null;
  if (parsed.DEVSTACK_JWT_ALGORITHM === 'HS256') {
    if (parsed.DEVSTACK_JWT_KEYS)
      throw new StackError(
        'DEVSTACK_JWT_KEYS is set, but DEVSTACK_JWT_ALGORITHM=HS256 signs every token with the JWT secret.',
        'Unset one of them: ES256 uses the keys, HS256 (legacy) the secret.',
      );
  } else if (parsed.DEVSTACK_JWT_KEYS) {
    signingKeys = parseSigningKeys(parsed.DEVSTACK_JWT_KEYS, 'DEVSTACK_JWT_KEYS');
    signingKeysSource = 'DEVSTACK_JWT_KEYS';
  } else if (options.signingKeysFile) {
    signingKeys = (await loadOrCreateSigningKeys(options.signingKeysFile)).keys;
    signingKeysSource = options.signingKeysFile;
  } else {
    signingKeys = [await generateSigningKey()];
    signingKeysSource = 'memory';
  }

  return {
    jwtAlgorithm: parsed.DEVSTACK_JWT_ALGORITHM,
    jwtSecret: secret,
    anonKey: parsed.DEVSTACK_ANON_KEY ?? (custom ? await mint('anon') : DEFAULT_ANON_KEY),
    serviceRoleKey:
      parsed.DEVSTACK_SERVICE_ROLE_KEY ?? (custom ? await mint('service_role') : DEFAULT_SERVICE_ROLE_KEY),
    publishableKey: parsed.DEVSTACK_PUBLISHABLE_KEY,
    secretKey: parsed.DEVSTACK_SECRET_KEY,
    signingKeys,
    signingKeysSource,
  };
}

/**
 * Keys for a throw-away test stack: the CLI's defaults whatever the developer's
 * shell exports, in the JWT mode DEVSTACK_JWT_ALGORITHM selects (ES256 unless
 * it says HS256), with a fresh ES256 key pair in memory.
 */
export function readTestKeys(env: Record<string, string | undefined> = process.env): Promise<StackKeys> {
  return readKeys({ DEVSTACK_JWT_ALGORITHM: env.DEVSTACK_JWT_ALGORITHM });
}
