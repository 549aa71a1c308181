import bcrypt from 'bcryptjs';
import { badRequest, weakPassword } from './errors';

/** bcrypt only looks at the first 72 bytes; GoTrue refuses longer passwords. */
const MAX_PASSWORD_LENGTH = 72;
/** GoTrue uses Go's bcrypt.DefaultCost; pgcrypto's gen_salt('bf', 10) in the seed matches. */
const BCRYPT_COST = 10;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

/** Verifies against a $2a$/$2b$/$2y$ hash (GoTrue's and pgcrypto's); anything else never matches. */
export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  if (!hash || !/^\$2[aby]\$\d{2}\$/.test(hash)) return false;
  return bcrypt.compare(password, hash);
}

/** GoTrue's password settings: GOTRUE_PASSWORD_MIN_LENGTH and GOTRUE_PASSWORD_REQUIRED_CHARACTERS. */
export interface PasswordPolicy {
  /** In bytes, as GoTrue counts (Go's len). */
  minLength: number;
  /** Character sets a password needs one character of each of; empty: no requirement. */
  requiredCharacters: readonly string[];
}

/**
 * The reasons a password is weak, or null; throws for an over-long one. GoTrue's
 * checkPasswordStrength: reasons "length" and "characters", their messages joined.
 */
export function passwordWeakness(
  password: string,
  policy: PasswordPolicy,
): { message: string; reasons: string[] } | null {
  if (Buffer.byteLength(password) > MAX_PASSWORD_LENGTH) {
    throw badRequest('validation_failed', `Password cannot be longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
  const reasons: string[] = [];
  const messages: string[] = [];
  if (Buffer.byteLength(password) < policy.minLength) {
    reasons.push('length');
    messages.push(`Password should be at least ${policy.minLength} characters.`);
  }
  const missesASet = policy.requiredCharacters.some((set) => set !== '' && ![...set].some((c) => password.includes(c)));
  if (missesASet) {
    reasons.push('characters');
    messages.push(`Password should contain at least one character of each: ${policy.requiredCharacters.join(', ')}.`);
  }
  return reasons.length > 0 ? { message: messages.join(' '), reasons } : null;
}

export function assertStrongPassword(password: string, policy: PasswordPolicy): void {
  const weakness = passwordWeakness(password, policy);
  if (weakness) throw weakPassword(weakness.message, weakness.reasons);
}
