// The dev stack's programmatic API, for test set-ups, benchmarks and scripts.
// `devstack` (bin/devstack.mjs → cli.ts) is the command-line face of the same.
export { startStack, type RunningStack, type StackOptions } from './stack';
export { startApi, type ApiOptions, type RunningApi } from './api';
export {
  readKeys,
  readTestKeys,
  DEFAULT_JWT_SECRET,
  DEFAULT_ANON_KEY,
  DEFAULT_SERVICE_ROLE_KEY,
  DEFAULT_PUBLISHABLE_KEY,
  DEFAULT_SECRET_KEY,
  type JwtAlgorithm,
  type ReadKeysOptions,
  type StackKeys,
} from './keys';
export { signJwt, tokenVerifier, JwtError, type TokenVerifier, type VerifiedClaims } from './jwt';
export {
  generateSigningKey,
  parseSigningKeys,
  publicJwks,
  type PrivateSigningJwk,
  type PublicSigningJwk,
} from './signing-keys';
export {
  connectionUrl,
  freePort,
  startEmbeddedPostgres,
  SUPERUSER,
  PROJECT_ROLE,
  type EmbeddedOptions,
  type RunningPostgres,
} from './postgres';
export {
  bootstrap,
  migrate,
  prepareDatabase,
  listMigrations,
  MigrationError,
  type Migration,
  type MigrateOptions,
  type MigrateResult,
} from './migrate';
export { readSupabaseConfig, defaultSupabaseConfig, SupabaseConfigError, type SupabaseConfig } from './supabase-config';
export { findProjectRoot, projectPaths } from './config';
export { startSystemPostgres, type SystemPostgres } from './system-postgres';
export { readStackStatus, type StackStatus } from './status';
export type { StackHealthReport } from './status-service';
export { generateTypes } from './gen-types';
