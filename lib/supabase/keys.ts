// Supabase API keys in the environment: which kind each value is, and every
// way a setting can be wrong, each named with its variable and the fix. Pure
// functions over an env object, so next.config.ts (build, dev and start), the
// scripts and the tests share them; nothing here reads process.env itself.

/** The Supabase CLI's (2.117) local publishable key, which the dev stack serves too. */
export const LOCAL_PUBLISHABLE_KEY = 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH';

export type ApiKeyKind = 'publishable' | 'secret' | 'anon' | 'service_role' | 'malformed';

const OPAQUE = /^sb_(publishable|secret)_[A-Za-z0-9_-]{20,}$/;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function jwtRole(value: string): string | null {
  if (!JWT.test(value)) return null;
  try {
    const decode = (part: string) => JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as unknown;
    const [header, payload] = value.split('.').slice(0, 2).map(decode);
    if (typeof header !== 'object' || header === null || !('alg' in header)) return null;
    if (typeof payload !== 'object' || payload === null) return null;
    const role = (payload as { role?: unknown }).role;
    return typeof role === 'string' ? role : null;
  } catch {
    return null;
  }
}

/**
 * What a key is: an opaque publishable / secret key (sb_publishable_…,
 * sb_secret_…), a legacy anon / service_role JWT (by its role claim), or
 * something else ('malformed': a typo, a truncated paste, another kind of key).
 */
export function apiKeyKind(value: string): ApiKeyKind {
  const opaque = OPAQUE.exec(value);
  if (opaque) return opaque[1] as 'publishable' | 'secret';
  const role = jwtRole(value);
  return role === 'anon' || role === 'service_role' ? role : 'malformed';
}

const WHERE = 'the dashboard, Project Settings → API Keys';
const isSecret = (kind: ApiKeyKind) => kind === 'secret' || kind === 'service_role';
const describe = (kind: ApiKeyKind) =>
  kind === 'secret' ? 'a secret key (sb_secret_…)' : 'the legacy service_role key';

/** The problem with a browser key variable's value, or null when it is a publishable or legacy anon key. */
function publicKeyProblem(name: string, value: string): string | null {
  const kind = apiKeyKind(value);
  if (isSecret(kind))
    return (
      `${name} holds ${describe(kind)}, and every NEXT_PUBLIC_ variable is sent to the browser. ` +
      `Put the publishable key (sb_publishable_…) there and the secret key in SUPABASE_SECRET_KEY (server only); ` +
      `if this value was ever deployed, roll the secret key in ${WHERE}.`
    );
  if (kind === 'malformed')
    return (
      `${name} is not a Supabase API key (expected sb_publishable_…, or the legacy anon key eyJ…). ` +
      `Copy the publishable key from ${WHERE} (locally, npm run stack prints it), or unset ${name} to use the local dev stack.`
    );
  return null;
}

/**
 * Every problem with the Supabase keys of `env`: a malformed key, a secret
 * (or service_role) key in any NEXT_PUBLIC_ variable, or a key that is not
 * secret in SUPABASE_SECRET_KEY / SUPABASE_SERVICE_ROLE_KEY. Empty when fine.
 */
export function supabaseKeyProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const browserKeys = ['NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY', 'NEXT_PUBLIC_SUPABASE_ANON_KEY'];
  for (const name of browserKeys) {
    const value = env[name];
    const problem = value ? publicKeyProblem(name, value) : null;
    if (problem) problems.push(problem);
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('NEXT_PUBLIC_') || !value || browserKeys.includes(name)) continue;
    const kind = apiKeyKind(value);
    if (isSecret(kind)) problems.push(publicKeyProblem(name, value)!);
  }
  for (const name of ['SUPABASE_SECRET_KEY', 'SUPABASE_SERVICE_ROLE_KEY']) {
    const value = env[name];
    if (!value) continue;
    const kind = apiKeyKind(value);
    if (!isSecret(kind))
      problems.push(
        kind === 'malformed'
          ? `${name} is not a Supabase secret key (expected sb_secret_…, or the legacy service_role key eyJ…). Copy a secret key from ${WHERE}.`
          : `${name} holds ${kind === 'publishable' ? 'the publishable key' : 'the anon key'}, which has no elevated access. Put a secret key (sb_secret_…) there, from ${WHERE}.`,
      );
  }
  return problems;
}

export class SupabaseKeyError extends Error {
  override name = 'SupabaseKeyError';
}

/** Throws a SupabaseKeyError listing every problem supabaseKeyProblems finds. */
export function assertSupabaseKeys(env: Record<string, string | undefined>): void {
  const problems = supabaseKeyProblems(env);
  if (problems.length > 0)
    throw new SupabaseKeyError(`Invalid Supabase keys:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/**
 * The key the app's clients use, by precedence: NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY,
 * then the legacy NEXT_PUBLIC_SUPABASE_ANON_KEY, then the local publishable key.
 * Throws a SupabaseKeyError for a malformed or secret key.
 */
export function publicSupabaseKey(env: {
  NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY?: string;
  NEXT_PUBLIC_SUPABASE_ANON_KEY?: string;
}): { name: string; value: string } {
  const [name, value] = env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY
    ? ['NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY', env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY]
    : env.NEXT_PUBLIC_SUPABASE_ANON_KEY
      ? ['NEXT_PUBLIC_SUPABASE_ANON_KEY', env.NEXT_PUBLIC_SUPABASE_ANON_KEY]
      : ['(default)', LOCAL_PUBLISHABLE_KEY];
  const problem = publicKeyProblem(name, value);
  if (problem) throw new SupabaseKeyError(problem);
  return { name, value };
}

/**
 * The key for elevated server-side access: SUPABASE_SECRET_KEY, else the
 * legacy SUPABASE_SERVICE_ROLE_KEY. Throws a SupabaseKeyError naming both when
 * neither is set, or when the value is not a secret key.
 */
export function secretSupabaseKey(env: Record<string, string | undefined>): { name: string; value: string } {
  const name = env.SUPABASE_SECRET_KEY ? 'SUPABASE_SECRET_KEY' : 'SUPABASE_SERVICE_ROLE_KEY';
  const value = env[name];
  if (!value)
    throw new SupabaseKeyError(
      `SUPABASE_SECRET_KEY is not set (nor the legacy SUPABASE_SERVICE_ROLE_KEY): copy a secret key (sb_secret_…) from ${WHERE}; locally, npm run stack prints it.`,
    );
  const problem = supabaseKeyProblems({ [name]: value })[0];
  if (problem) throw new SupabaseKeyError(problem);
  return { name, value };
}
