import type { StackKeys } from '../keys';

export interface StackInfo {
  /** A superuser connection (the stack's own): for arranging and checking rows in tests. */
  dbUrl: string;
  /** The project's `postgres` role, not a superuser (as on Supabase): what migrations run as. */
  postgresUrl: string;
  serverVersion: string;
  /** The API gateway (auth, rest) of the test stack, e.g. http://127.0.0.1:40123. */
  apiUrl: string;
  /** The legacy JWT keys and the HS256 secret (accepted in both modes). */
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
  /** The opaque API keys the gateway maps to anon / service_role. */
  publishableKey: string;
  secretKey: string;
  /** ES256 (default) or HS256, from DEVSTACK_JWT_ALGORITHM. */
  jwtAlgorithm: StackKeys['jwtAlgorithm'];
  /** Everything, for signJwt (tokens the stack accepts in its mode). */
  keys: StackKeys;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}
