import { z } from 'zod';
import { DEFAULT_BODY_LIMIT } from '../gateway/http';

const envSchema = z.object({
  DEVSTACK_REST_MAX_BODY: z.coerce.number().int().positive().default(DEFAULT_BODY_LIMIT),
  DEVSTACK_REST_STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(8000),
  // Supabase's default `max_rows` (config.toml [api]): a cap on rows per read.
  DEVSTACK_REST_MAX_ROWS: z.coerce.number().int().positive().default(1000),
});

export interface RestConfig {
  schema: string;
  searchPath: string;
  maxBodyBytes: number;
  statementTimeoutMs: number;
  maxRows: number;
}

export function readRestConfig(env: NodeJS.ProcessEnv): RestConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid REST service environment:\n${problems}`);
  }
  return {
    schema: 'public',
    searchPath: 'public, extensions',
    maxBodyBytes: parsed.data.DEVSTACK_REST_MAX_BODY,
    statementTimeoutMs: parsed.data.DEVSTACK_REST_STATEMENT_TIMEOUT_MS,
    maxRows: parsed.data.DEVSTACK_REST_MAX_ROWS,
  };
}
