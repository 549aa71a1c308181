import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { parse, TomlError } from 'smol-toml';
import { z } from 'zod';
import { StackError } from './errors';
import { unservedSettings } from './supabase-config-unserved';

// The settings of supabase/config.toml that the dev stack shares with
// `supabase start`, read with the Supabase CLI's defaults (its
// pkg/config/templates/config.toml) and its env() substitution. Each service
// reader lets a DEVSTACK_* variable override the value read here.

/** Environment variables: process.env, or a plain record (tests, .env files). */
export type Env = Record<string, string | undefined>;

const port = z.number().int().min(1).max(65535);
const count = z.number().int().nonnegative();
const flag = z.boolean();

/** CLI password_requirements values and the character sets GoTrue gets for them (GOTRUE_PASSWORD_REQUIRED_CHARACTERS). */
export const PASSWORD_REQUIREMENTS = {
  '': [],
  letters_digits: ['abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789'],
  lower_upper_letters_digits: ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789'],
  lower_upper_letters_digits_symbols: [
    'abcdefghijklmnopqrstuvwxyz',
    'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    '0123456789',
    `!@#$%^&*()_+-=[]{};'\\:"|<>?,./\`~`,
  ],
} as const satisfies Record<string, readonly string[]>;
export type PasswordRequirement = keyof typeof PASSWORD_REQUIREMENTS;

const passwordRequirement = z.enum(
  Object.keys(PASSWORD_REQUIREMENTS) as [PasswordRequirement, ...PasswordRequirement[]],
  {
    error: `must be one of ${Object.keys(PASSWORD_REQUIREMENTS)
      .map((k) => JSON.stringify(k))
      .join(', ')}`,
  },
);

/** The keys read, with the CLI's defaults; unknown keys and sections are left to the CLI. */
const configSchema = z.object({
  api: z
    .object({
      port: port.default(54321),
      max_rows: z.number().int().positive().default(1000),
      extra_search_path: z.array(z.string()).default(['public', 'extensions']),
      external_url: z.string().default(''),
    })
    .prefault({}),
  db: z
    .object({
      port: port.default(54322),
      major_version: z.number().int().default(17),
      migrations: z.object({ enabled: flag.default(true) }).prefault({}),
      seed: z
        .object({ enabled: flag.default(true), sql_paths: z.array(z.string()).default(['./seed.sql']) })
        .prefault({}),
    })
    .prefault({}),
  realtime: z.object({ max_header_length: z.number().int().positive().default(4096) }).prefault({}),
  auth: z
    .object({
      external_url: z.string().default(''),
      jwt_issuer: z.string().default(''),
      signing_keys_path: z.string().default(''),
      jwt_expiry: z.number().int().positive().default(3600),
      enable_refresh_token_rotation: flag.default(true),
      refresh_token_reuse_interval: count.default(10),
      enable_signup: flag.default(true),
      enable_anonymous_sign_ins: flag.default(false),
      minimum_password_length: count.default(6),
      password_requirements: passwordRequirement.default(''),
      email: z.object({ enable_signup: flag.default(true) }).prefault({}),
    })
    .prefault({}),
});

type ConfigFile = z.infer<typeof configSchema>;

/** What the dev stack reads from config.toml, resolved like the CLI resolves it. */
export interface SupabaseConfig {
  /** The file read, or null when the project has none (then every value is the CLI's default). */
  file: string | null;
  api: { port: number; maxRows: number; extraSearchPath: string[] };
  db: {
    port: number;
    majorVersion: number;
    migrationsEnabled: boolean;
    /** Seed files as the CLI globs them: patterns relative to supabase/, or absolute. */
    seed: { enabled: boolean; sqlPaths: string[] };
  };
  auth: {
    /** GoTrue's JWT issuer: jwt_issuer, else external_url, else null (then <api url>/auth/v1). */
    jwtIssuer: string | null;
    /** [auth] signing_keys_path resolved against supabase/ as the CLI resolves it, or null. */
    signingKeysPath: string | null;
    jwtExpiry: number;
    enableRefreshTokenRotation: boolean;
    refreshTokenReuseInterval: number;
    enableSignup: boolean;
    enableAnonymousSignIns: boolean;
    minimumPasswordLength: number;
    passwordRequirements: PasswordRequirement;
    /** [auth.email] enable_signup: GoTrue's email provider (GOTRUE_EXTERNAL_EMAIL_ENABLED). */
    emailEnabled: boolean;
  };
  realtime: { maxHeaderLength: number };
  /** Settings config.toml turns on that the dev stack does not serve, one `[section] key = value` line each. */
  unserved: string[];
}

/** A config.toml problem, naming the file, the line and the key. */
export class SupabaseConfigError extends StackError {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly key: string | null,
    problem: string,
  ) {
    super(
      `${file}${line ? `:${line}` : ''}: ${key ? `${key}: ` : ''}${problem}`,
      'Fix supabase/config.toml (the Supabase CLI reads the same file), or set the matching DEVSTACK_* variable.',
    );
    this.name = 'SupabaseConfigError';
  }
}

function toConfig(file: string | null, data: ConfigFile, unserved: string[]): SupabaseConfig {
  const supabaseDir = file ? path.dirname(file) : null;
  const { api, db, auth, realtime } = data;
  return {
    file,
    api: { port: api.port, maxRows: api.max_rows, extraSearchPath: api.extra_search_path },
    db: {
      port: db.port,
      majorVersion: db.major_version,
      migrationsEnabled: db.migrations.enabled,
      seed: { enabled: db.seed.enabled, sqlPaths: db.seed.sql_paths },
    },
    auth: {
      jwtIssuer:
        auth.jwt_issuer ||
        auth.external_url ||
        (api.external_url ? `${api.external_url.replace(/\/+$/, '')}/auth/v1` : null),
      signingKeysPath: auth.signing_keys_path && supabaseDir ? path.resolve(supabaseDir, auth.signing_keys_path) : null,
      jwtExpiry: auth.jwt_expiry,
      enableRefreshTokenRotation: auth.enable_refresh_token_rotation,
      refreshTokenReuseInterval: auth.refresh_token_reuse_interval,
      enableSignup: auth.enable_signup,
      enableAnonymousSignIns: auth.enable_anonymous_sign_ins,
      minimumPasswordLength: auth.minimum_password_length,
      passwordRequirements: auth.password_requirements,
      emailEnabled: auth.email.enable_signup,
    },
    realtime: { maxHeaderLength: realtime.max_header_length },
    unserved,
  };
}

/** The CLI's defaults: what `supabase start` runs with when config.toml sets nothing. */
export function defaultSupabaseConfig(): SupabaseConfig {
  return toConfig(null, configSchema.parse({}), []);
}

/**
 * The variables env() may name, as the CLI finds them: the process environment
 * first, then .env.development.local, .env.local, .env.development and .env in
 * supabase/ and then in the project folder (an earlier file wins).
 */
export function projectEnv(projectDir: string, env: Env = process.env): Env {
  const merged: Env = {};
  const stage = env.SUPABASE_ENV || 'development';
  const names = [`.env.${stage}.local`, ...(stage === 'test' ? [] : ['.env.local']), `.env.${stage}`, '.env'];
  for (const dir of [path.join(projectDir, 'supabase'), projectDir]) {
    for (const name of names) {
      let text: string;
      try {
        text = readFileSync(path.join(dir, name), 'utf8');
      } catch {
        continue;
      }
      for (const [key, value] of Object.entries(parseEnv(text))) if (!(key in merged)) merged[key] = value;
    }
  }
  return { ...merged, ...env };
}

/** The CLI's LoadEnvHook: a string "env(NAME)" becomes NAME's value when it is set. */
function substituteEnv(value: unknown, env: Env): unknown {
  if (typeof value === 'string') {
    const match = /^env\((.*)\)$/.exec(value);
    const resolved = match ? env[match[1]] : undefined;
    return resolved ?? value;
  }
  if (Array.isArray(value)) return value.map((item) => substituteEnv(item, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env)]));
  }
  return value;
}

/** env() values arrive as strings; the CLI's decoder turns them into the key's type. */
function coerceEnvStrings(value: unknown, raw: unknown): unknown {
  if (typeof value !== 'string' || value === raw) return value;
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^-?\d+$/.test(value)) return Number(value);
  return value;
}

function coerceTree(value: unknown, raw: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const rawObject = (raw ?? {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, coerceTree(v, rawObject[k])]));
  }
  return coerceEnvStrings(value, raw);
}

/** The 1-based line where `key` is set inside `[table]`, by a plain scan of the file. */
export function lineOfKey(text: string, keyPath: readonly (string | number)[]): number | null {
  const names = keyPath.filter((p): p is string => typeof p === 'string');
  if (names.length === 0) return null;
  const key = names[names.length - 1];
  const table = names.slice(0, -1).join('.');
  let current = '';
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$/.exec(lines[i]);
    if (header) {
      current = header[1].replace(/\s+/g, '');
      continue;
    }
    const assignment = /^\s*([A-Za-z0-9_.-]+|"[^"]*")\s*=/.exec(lines[i]);
    if (!assignment) continue;
    const name = assignment[1].replace(/^"|"$/g, '');
    const full = current ? `${current}.${name}` : name;
    if (full === (table ? `${table}.${key}` : key)) return i + 1;
  }
  return null;
}

/** The `[table] key` set on a line, for a syntax error's message. */
function keyOnLine(text: string, line: number): string | null {
  const lines = text.split(/\r?\n/);
  let current = '';
  for (let i = 0; i < Math.min(line, lines.length); i++) {
    const header = /^\s*\[\s*([^\]]+?)\s*\]/.exec(lines[i]);
    if (header) current = header[1].replace(/\s+/g, '');
  }
  const assignment = /^\s*([A-Za-z0-9_.-]+)\s*=/.exec(lines[line - 1] ?? '');
  if (!assignment) return current ? `[${current}]` : null;
  return current ? `[${current}] ${assignment[1]}` : assignment[1];
}

/**
 * Reads <projectDir>/supabase/config.toml. A missing file means the CLI's
 * defaults. A malformed file, or a value of the wrong type for a key the dev
 * stack reads, throws a SupabaseConfigError naming the file, line and key.
 */
export function readSupabaseConfig(projectDir: string, env: Env = process.env): SupabaseConfig {
  const file = path.join(projectDir, 'supabase', 'config.toml');
  const shown = path.relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return defaultSupabaseConfig();
    throw new SupabaseConfigError(shown, null, null, `cannot be read: ${(err as Error).message}`);
  }
  let raw: Record<string, unknown>;
  try {
    raw = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const problem = err.message.replace(/^Invalid TOML document: /, '').split('\n')[0];
      throw new SupabaseConfigError(shown, err.line, keyOnLine(text, err.line), `invalid TOML: ${problem}`);
    }
    throw err;
  }
  const vars = projectEnv(projectDir, env);
  const resolved = coerceTree(substituteEnv(raw, vars), raw);
  const parsed = configSchema.safeParse(resolved);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const names = issue.path.filter((p): p is string => typeof p === 'string');
    const key = names.length > 1 ? `[${names.slice(0, -1).join('.')}] ${names[names.length - 1]}` : (names[0] ?? null);
    throw new SupabaseConfigError(shown, lineOfKey(text, issue.path as (string | number)[]), key, issue.message);
  }
  return toConfig(file, parsed.data, unservedSettings(resolved as Record<string, unknown>));
}
