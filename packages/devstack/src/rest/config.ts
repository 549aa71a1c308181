import { z } from 'zod';
import { DEFAULT_BODY_LIMIT } from '../gateway/http';
import type { Env, SupabaseConfig } from '../supabase-config';

/** DEVSTACK_* settings of the REST service; max_rows defaults to config.toml's [api] max_rows. */
function envSchema(project: SupabaseConfig['api']) {
  return z.object({
    DEVSTACK_REST_MAX_BODY: z.coerce.number().int().positive().default(DEFAULT_BODY_LIMIT),
    DEVSTACK_REST_STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(8000),
    // [api] max_rows (PostgREST's db-max-rows): a cap on rows per read.
    DEVSTACK_REST_MAX_ROWS: z.coerce.number().int().positive().default(project.maxRows),
  });
}

export interface RestConfig {
  schema: string;
  searchPath: string;
  maxBodyBytes: number;
  statementTimeoutMs: number;
  maxRows: number;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The REST service's settings. search_path is the served schema followed by
 * [api] extra_search_path, as PostgREST sets it per request (db-extra-search-path).
 */
export function readRestConfig(env: Env, project: SupabaseConfig['api']): RestConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema(project).safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid REST service environment:\n${problems}`);
  }
  const schema = 'public';
  return {
    schema,
    searchPath: [...new Set([schema, ...project.extraSearchPath])].map(quoteIdent).join(', '),
    maxBodyBytes: parsed.data.DEVSTACK_REST_MAX_BODY,
    statementTimeoutMs: parsed.data.DEVSTACK_REST_STATEMENT_TIMEOUT_MS,
    maxRows: parsed.data.DEVSTACK_REST_MAX_ROWS,
  };
}
