// Asymmetric JWT signing keys, in the JWK format the Supabase CLI writes
// (`supabase gen signing-key`, supabase/signing_keys.json) and GoTrue reads
// (GOTRUE_JWT_KEYS): an array of private JWKs, each with a `kid`. The first key
// whose key_ops include "sign" signs new tokens; every key verifies, so a
// rotated-out key keeps its tokens valid until it is removed from the list.
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { z } from 'zod';
import { StackError } from './errors';

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');

/** A private ES256 (EC P-256) signing key. Other key types are refused with a clear message. */
export const privateSigningJwkSchema = z.object({
  kty: z.literal('EC', { error: 'only EC keys are supported (kty "EC", crv "P-256", alg "ES256")' }),
  crv: z.literal('P-256', { error: 'only the P-256 curve is supported' }),
  alg: z.literal('ES256', { error: 'only ES256 is supported' }).default('ES256'),
  kid: z.string({ error: 'every key needs a kid' }).min(1, 'every key needs a kid'),
  x: base64url,
  y: base64url,
  d: z
    .string({ error: 'the private part (d) is missing: a public key cannot sign' })
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url'),
  use: z.literal('sig').optional(),
  key_ops: z.array(z.enum(['sign', 'verify'])).optional(),
  ext: z.boolean().optional(),
});

export type PrivateSigningJwk = z.infer<typeof privateSigningJwkSchema>;

/** A public key as /auth/v1/.well-known/jwks.json serves it (GoTrue: use "sig", key_ops ["verify"]). */
export interface PublicSigningJwk {
  alg: 'ES256';
  crv: 'P-256';
  ext?: boolean;
  key_ops: ['verify'];
  kid: string;
  kty: 'EC';
  use: 'sig';
  x: string;
  y: string;
}

/** A key signs unless its key_ops leave "sign" out (GoTrue's rule; the CLI writes ["sign", "verify"]). */
export const canSign = (key: PrivateSigningJwk) => !key.key_ops || key.key_ops.includes('sign');

/**
 * Parses signing keys from JSON text: one JWK or an array of them. Throws a
 * StackError naming `source` and the problem; at least one key must sign and
 * kids must be unique.
 */
export function parseSigningKeys(text: string, source: string): PrivateSigningJwk[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new StackError(`${source} is not valid JSON.`, 'Give a JWK or an array of JWKs (supabase gen signing-key).');
  }
  const parsed = z
    .array(privateSigningJwkSchema)
    .min(1, 'holds no key')
    .safeParse(Array.isArray(json) ? json : [json]);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'keys'}: ${i.message}`).join('; ');
    throw new StackError(
      `${source} does not hold usable signing keys (${problems}).`,
      'Give private ES256 JWKs with a kid, e.g. from `npx supabase gen signing-key --algorithm ES256`.',
    );
  }
  const keys = parsed.data;
  const kids = new Set(keys.map((k) => k.kid));
  if (kids.size !== keys.length) throw new StackError(`${source} holds two keys with the same kid.`);
  if (!keys.some(canSign))
    throw new StackError(`${source} holds no signing key.`, 'Give one key key_ops ["sign", "verify"].');
  return keys;
}

/** A new ES256 key pair as a private JWK, with a random UUID as kid (what `supabase gen signing-key` makes). */
export async function generateSigningKey(): Promise<PrivateSigningJwk> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return privateSigningJwkSchema.parse({
    kty: 'EC',
    kid: randomUUID(),
    use: 'sig',
    key_ops: ['sign', 'verify'],
    alg: 'ES256',
    ext: true,
    crv: jwk.crv,
    x: jwk.x,
    y: jwk.y,
    d: jwk.d,
  });
}

/**
 * The signing keys kept in `file`: read when it exists, else a new key pair is
 * created and written there (mode 0600), so tokens survive restarts.
 */
export async function loadOrCreateSigningKeys(file: string): Promise<{ keys: PrivateSigningJwk[]; created: boolean }> {
  let text: string | null = null;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== null) {
    try {
      return { keys: parseSigningKeys(text, file), created: false };
    } catch (err) {
      if (err instanceof StackError)
        throw new StackError(err.message, `Fix it, or delete it to have a new key pair created. ${err.hint ?? ''}`);
      throw err;
    }
  }
  const keys = [await generateSigningKey()];
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return { keys, created: true };
}

/** The public half of each key, as GoTrue publishes it. */
export function publicJwks(keys: readonly PrivateSigningJwk[]): { keys: PublicSigningJwk[] } {
  return {
    keys: keys.map((k) => ({
      alg: 'ES256',
      crv: 'P-256',
      ...(k.ext === undefined ? {} : { ext: k.ext }),
      key_ops: ['verify'],
      kid: k.kid,
      kty: 'EC',
      use: 'sig',
      x: k.x,
      y: k.y,
    })),
  };
}
