import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { StackError } from './errors';
import { defaultSupabaseConfig, type Env, type SupabaseConfig } from './supabase-config';

/**
 * The Supabase CLI project the stack serves, found as the CLI finds it: the
 * folder given by DEVSTACK_WORKDIR (the CLI's --workdir), else the nearest
 * folder from the current directory upwards that holds `supabase/config.toml`.
 * Throws a StackError naming what was searched when there is none.
 */
export function findProjectRoot(start = process.cwd(), env: Env = process.env): string {
  if (env.DEVSTACK_WORKDIR) return path.resolve(env.DEVSTACK_WORKDIR);
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'supabase', 'config.toml'))) return dir;
    if (path.dirname(dir) === dir) break;
  }
  throw new StackError(
    `No Supabase project found in ${start} or any folder above it (looked for supabase/config.toml).`,
    'Run the dev stack from your project folder, set DEVSTACK_WORKDIR, or create one with `npx supabase init`.',
  );
}

/** Where a project keeps what the dev stack reads, and where the stack keeps its data. */
export interface ProjectPaths {
  root: string;
  /** supabase/: config.toml, seed files (sql_paths are relative to it). */
  supabaseDir: string;
  migrationsDir: string;
  defaultDataDir: string;
  /** ES256 signing keys, created on first start (git-ignored with the rest of .devstack). */
  signingKeysFile: string;
}

export function projectPaths(root: string): ProjectPaths {
  return {
    root,
    supabaseDir: path.join(root, 'supabase'),
    migrationsDir: path.join(root, 'supabase', 'migrations'),
    defaultDataDir: path.join(root, '.devstack', 'pg17'),
    signingKeysFile: path.join(root, '.devstack', 'signing_keys.json'),
  };
}

/** The platform SQL, run in this order as a superuser before any migration. */
export const PLATFORM_SQL = [
  path.join(import.meta.dirname, 'sql', 'bootstrap.sql'),
  path.join(import.meta.dirname, 'sql', 'privileges.sql'),
];

const port = z.coerce.number().int().min(1).max(65535);

function envSchema(project: SupabaseConfig) {
  return z.object({
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    DEVSTACK_DB_PORT: port.default(project.db.port),
    DEVSTACK_API_PORT: port.default(project.api.port),
    DEVSTACK_DATA_DIR: z.string().min(1).optional(),
    DEVSTACK_WORKDIR: z.string().min(1).optional(),
    /** ES256 signing keys (created on first start when missing); default .devstack/signing_keys.json. */
    DEVSTACK_SIGNING_KEYS_FILE: z.string().min(1).optional(),
  });
}

export type StackEnv = z.infer<ReturnType<typeof envSchema>>;

/**
 * Reads the dev stack's environment, failing with every problem listed at once.
 * Ports default to config.toml's [db] port and [api] port.
 */
export function readStackEnv(env: Env = process.env, project: SupabaseConfig = defaultSupabaseConfig()): StackEnv {
  // An empty variable (e.g. `DATABASE_URL=` in .env.local) means "not set".
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema(project).safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new StackError(
      `Invalid dev stack environment:\n${problems}`,
      'Fix or unset these variables (see .env.example).',
    );
  }
  return parsed.data;
}
