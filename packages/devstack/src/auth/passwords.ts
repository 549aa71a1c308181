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

/** The reasons a password is weak, or null; throws for an over-long one (GoTrue's checkPasswordStrength). */
export function passwordWeakness(password: string, minLength: number): { message: string; reasons: string[] } | null {
  if (Buffer.byteLength(password) > MAX_PASSWORD_LENGTH) {
    throw badRequest('validation_failed', `Password cannot be longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
  if (Buffer.byteLength(password) < minLength) {
    return { message: `Password should be at least ${minLength} characters.`, reasons: ['length'] };
  }
  return null;
}

export function assertStrongPassword(password: string, minLength: number): void {
  const weakness = passwordWeakness(password, minLength);
  if (weakness) throw weakPassword(weakness.message, weakness.reasons);
}
