import path from 'node:path';
import { z } from 'zod';
import { StackError } from './errors';

export const projectRoot = path.resolve(import.meta.dirname, '..');

const port = z.coerce.number().int().min(1).max(65535);

const envSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DEVSTACK_DB_PORT: port.default(54322),
  DEVSTACK_API_PORT: port.default(54321),
  DEVSTACK_DATA_DIR: z.string().min(1).optional(),
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
  bootstrapSql: path.join(projectRoot, 'devstack', 'sql', 'bootstrap.sql'),
  migrationsDir: path.join(projectRoot, 'supabase', 'migrations'),
  seedSql: path.join(projectRoot, 'supabase', 'seed.sql'),
  defaultDataDir: path.join(projectRoot, '.devstack', 'pg17'),
};
