import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { StackError } from './errors';

/**
 * The Supabase CLI project the stack serves, found as the CLI finds it: the
 * folder given by DEVSTACK_WORKDIR (the CLI's --workdir), else the nearest
 * folder from the current directory upwards that holds `supabase/config.toml`.
 * Throws a StackError naming what was searched when there is none.
 */
export function findProjectRoot(start = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
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

export const projectRoot = findProjectRoot();

const port = z.coerce.number().int().min(1).max(65535);

const envSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DEVSTACK_DB_PORT: port.default(54322),
  DEVSTACK_API_PORT: port.default(54321),
  DEVSTACK_DATA_DIR: z.string().min(1).optional(),
  DEVSTACK_WORKDIR: z.string().min(1).optional(),
  /** ES256 signing keys (created on first start when missing); default .devstack/signing_keys.json. */
  DEVSTACK_SIGNING_KEYS_FILE: z.string().min(1).optional(),
});

export type StackEnv = z.infer<typeof envSchema>;

/** Reads the dev stack's environment, failing with every problem listed at once. */
export function readStackEnv(env: NodeJS.ProcessEnv = process.env): StackEnv {
  // An empty variable (e.g. `DATABASE_URL=` in .env.local) means "not set".
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new StackError(
      `Invalid dev stack environment:\n${problems}`,
      'Fix or unset these variables (see .env.example).',
    );
  }
  return parsed.data;
}

export const paths = {
  bootstrapSql: path.join(import.meta.dirname, 'sql', 'bootstrap.sql'),
  migrationsDir: path.join(projectRoot, 'supabase', 'migrations'),
  seedSql: path.join(projectRoot, 'supabase', 'seed.sql'),
  defaultDataDir: path.join(projectRoot, '.devstack', 'pg17'),
  /** ES256 signing keys, created on first start (git-ignored with the rest of .devstack). */
  signingKeysFile: path.join(projectRoot, '.devstack', 'signing_keys.json'),
};
