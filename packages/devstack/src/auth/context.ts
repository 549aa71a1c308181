import type { Sql } from 'postgres';
import type { TokenVerifier } from '../jwt';
import type { AuthConfig } from './config';
import type { TokenSigner } from './tokens';

/**
 * What every auth route handler works with. It lives apart from config.ts and
 * tokens.ts so that neither imports the other's module for it: tokens.ts needs
 * the AuthConfig, and the handlers need both.
 */
export interface AuthDeps {
  sql: Sql;
  config: AuthConfig;
  signer: TokenSigner;
  verifier: TokenVerifier;
}
