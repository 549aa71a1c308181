// The stack's key settings and JWT rules, without a database: where keys come
// from (defaults, DEVSTACK_* variables, the key file), what each bad setting
// says, and which tokens the shared verifier accepts in each mode.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackError } from '../../src/errors';
import { JwtError, signJwt, tokenVerifier } from '../../src/jwt';
import {
  DEFAULT_ANON_KEY,
  DEFAULT_PUBLISHABLE_KEY,
  DEFAULT_SECRET_KEY,
  DEFAULT_SERVICE_ROLE_KEY,
  readKeys,
  type StackKeys,
} from '../../src/keys';
import { generateSigningKey, publicJwks, type PrivateSigningJwk } from '../../src/signing-keys';

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  role: 'authenticated',
  sub: 'a0000000-0000-4000-8000-000000000001',
  iat: now(),
  exp: now() + 3600,
  ...extra,
});
const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as object;
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

async function refusal(keys: StackKeys, token: string): Promise<string> {
  try {
    await tokenVerifier(keys).verify(token);
    return 'accepted';
  } catch (err) {
    if (err instanceof JwtError) return err.reason;
    throw err;
  }
}

async function settingError(env: Record<string, string>, options = {}): Promise<string> {
  try {
    await readKeys(env, options);
  } catch (err) {
    if (err instanceof StackError) return `${err.message} ${err.hint ?? ''}`;
    throw err;
  }
  throw new Error('readKeys accepted the setting');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-keys-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('readKeys', () => {
  it('defaults to ES256 with a fresh key pair, and the CLI 2.117 keys', async () => {
    const keys = await readKeys({});
    expect(keys).toMatchObject({
      jwtAlgorithm: 'ES256',
      publishableKey: DEFAULT_PUBLISHABLE_KEY,
      secretKey: DEFAULT_SECRET_KEY,
      anonKey: DEFAULT_ANON_KEY,
      serviceRoleKey: DEFAULT_SERVICE_ROLE_KEY,
      signingKeysSource: 'memory',
    });
    expect(DEFAULT_PUBLISHABLE_KEY).toBe('sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH');
    expect(DEFAULT_SECRET_KEY).toBe('sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz');
    expect(keys.signingKeys).toHaveLength(1);
    expect(keys.signingKeys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', key_ops: ['sign', 'verify'] });
    expect(keys.signingKeys[0].kid).toMatch(/^[0-9a-f-]{36}$/);
    const other = await readKeys({});
    expect(other.signingKeys[0].kid).not.toBe(keys.signingKeys[0].kid);
  });

  it('signs user tokens ES256 with the kid in ES256 mode, HS256 without kid in legacy mode', async () => {
    const es = await readKeys({});
    expect(header(await signJwt(es, claims()))).toEqual({ alg: 'ES256', kid: es.signingKeys[0].kid, typ: 'JWT' });
    const hs = await readKeys({ DEVSTACK_JWT_ALGORITHM: 'HS256' });
    expect(hs.signingKeys).toEqual([]);
    expect(hs.signingKeysSource).toBeNull();
    expect(header(await signJwt(hs, claims()))).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  it('takes keys from DEVSTACK_JWT_KEYS: one JWK or a list, the first key that may sign signing', async () => {
    const [a, b] = [await generateSigningKey(), await generateSigningKey()];
    const one = await readKeys({ DEVSTACK_JWT_KEYS: JSON.stringify(a) });
    expect(one.signingKeys).toEqual([a]);
    expect(one.signingKeysSource).toBe('DEVSTACK_JWT_KEYS');
    const list = await readKeys({ DEVSTACK_JWT_KEYS: JSON.stringify([{ ...a, key_ops: ['verify'] }, b]) });
    expect((header(await signJwt(list, claims())) as { kid: string }).kid).toBe(b.kid);
  });

  it('names the variable and the fix for every bad setting', async () => {
    const key = await generateSigningKey();
    const publicOnly = { ...key, d: undefined };
    const rsa = await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey);
    const cases: [Record<string, string>, RegExp][] = [
      [{ DEVSTACK_JWT_ALGORITHM: 'RS256' }, /DEVSTACK_JWT_ALGORITHM: must be ES256 \(the default\) or HS256/],
      [{ DEVSTACK_PUBLISHABLE_KEY: 'pk_live_123' }, /DEVSTACK_PUBLISHABLE_KEY: must look like sb_publishable_/],
      [
        { DEVSTACK_SECRET_KEY: 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH' },
        /DEVSTACK_SECRET_KEY: must look like sb_secret_/,
      ],
      [{ DEVSTACK_JWT_SECRET: 'short' }, /DEVSTACK_JWT_SECRET: must be at least 32 characters/],
      [{ DEVSTACK_JWT_KEYS: '{not json' }, /DEVSTACK_JWT_KEYS is not valid JSON/],
      [{ DEVSTACK_JWT_KEYS: JSON.stringify({ ...rsa, kid: 'r' }) }, /only EC keys are supported/],
      [{ DEVSTACK_JWT_KEYS: JSON.stringify(publicOnly) }, /the private part \(d\) is missing/],
      [{ DEVSTACK_JWT_KEYS: JSON.stringify([key, key]) }, /two keys with the same kid/],
      [{ DEVSTACK_JWT_KEYS: JSON.stringify({ ...key, key_ops: ['verify'] }) }, /holds no signing key/],
      [
        { DEVSTACK_JWT_ALGORITHM: 'HS256', DEVSTACK_JWT_KEYS: JSON.stringify(key) },
        /DEVSTACK_JWT_KEYS is set, but DEVSTACK_JWT_ALGORITHM=HS256.*Unset one of them/,
      ],
    ];
    for (const [env, message] of cases) expect(await settingError(env)).toMatch(message);
  });

  it('creates the key file on first start (mode 0600), then keeps using it', async () => {
    const file = path.join(dir, 'nested', 'signing_keys.json');
    const first = await readKeys({}, { signingKeysFile: file });
    expect(first.signingKeysSource).toBe(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(file, 'utf8')) as PrivateSigningJwk[];
    expect(stored).toEqual(first.signingKeys);
    const second = await readKeys({}, { signingKeysFile: file });
    expect(second.signingKeys).toEqual(first.signingKeys);
    // A token signed before the restart verifies after it.
    const token = await signJwt(first, claims());
    expect(await refusal(second, token)).toBe('accepted');
  });

  it('refuses a broken key file, naming it and how to start over', async () => {
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '[{"kty":"EC"}]');
    expect(await settingError({}, { signingKeysFile: file })).toMatch(
      new RegExp(`${file} does not hold usable signing keys.*delete it to have a new key pair created`),
    );
  });
});

describe('tokenVerifier', () => {
  let keys: StackKeys;
  let legacy: StackKeys;
  beforeAll(async () => {
    keys = await readKeys({});
    legacy = await readKeys({ DEVSTACK_JWT_ALGORITHM: 'HS256' });
  });

  it('accepts its own ES256 tokens and HS256 tokens of the legacy secret (the anon key is one)', async () => {
    expect(await refusal(keys, await signJwt(keys, claims()))).toBe('accepted');
    expect(await refusal(keys, await signJwt(legacy, claims()))).toBe('accepted');
    expect(await refusal(keys, DEFAULT_ANON_KEY)).toBe('accepted');
    expect(await refusal(legacy, DEFAULT_SERVICE_ROLE_KEY)).toBe('accepted');
  });

  it('refuses ES256 tokens in legacy mode, and forged tokens in both', async () => {
    expect(await refusal(legacy, await signJwt(keys, claims()))).toBe('algorithm');
    const attacker = await generateKeyPair('ES256');
    const kid = keys.signingKeys[0].kid;
    const signedByAttacker = (h: Record<string, unknown>) =>
      new SignJWT(claims({ role: 'service_role' }))
        .setProtectedHeader({ alg: 'ES256', ...h })
        .sign(attacker.privateKey);
    const pub = await importJWK(publicJwks(keys.signingKeys).keys[0], 'ES256');
    const spki = await exportSPKI(pub as CryptoKey);
    const hmacWith = (secret: string, h: Record<string, unknown> = {}) =>
      new SignJWT(claims({ role: 'service_role' }))
        .setProtectedHeader({ alg: 'HS256', ...h })
        .sign(new TextEncoder().encode(secret));
    const cases: [string, string, string][] = [
      ['ES256 signed with another key under the stack kid', await signedByAttacker({ kid }), 'signature'],
      ['ES256 with an unknown kid', await signedByAttacker({ kid: 'not-a-known-kid' }), 'unknown_kid'],
      ['ES256 without kid', await signedByAttacker({}), 'unknown_kid'],
      ['HS256 keyed with the public key (PEM)', await hmacWith(spki), 'signature'],
      [
        'HS256 keyed with the public JWK, naming its kid',
        await hmacWith(JSON.stringify(publicJwks(keys.signingKeys).keys[0]), { kid }),
        'key_type',
      ],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims({ role: 'service_role' }))}.`, 'algorithm'],
      ['expired', await signJwt(keys, claims({ exp: now() - 1 })), 'expired'],
      ['not valid yet', await signJwt(keys, claims({ nbf: now() + 60 })), 'not_yet_valid'],
      ['no role', await signJwt(keys, { sub: 'x', exp: now() + 60 }), 'missing_role'],
      ['two parts', 'abc.def', 'malformed'],
    ];
    for (const [name, token, reason] of cases)
      expect(`${name}: ${await refusal(keys, token)}`).toBe(`${name}: ${reason}`);
  });

  it('allows clock skew only when asked (PostgREST: 30 s)', async () => {
    const justExpired = await signJwt(keys, claims({ exp: now() - 5 }));
    expect(await refusal(keys, justExpired)).toBe('expired');
    await expect(tokenVerifier(keys).verify(justExpired, { clockToleranceSec: 30 })).resolves.toMatchObject({
      role: 'authenticated',
    });
  });

  it('rotation: both keys of the set verify; once a key is removed its tokens are refused', async () => {
    const [oldKey, newKey] = [await generateSigningKey(), await generateSigningKey()];
    const before = await readKeys({ DEVSTACK_JWT_KEYS: JSON.stringify([oldKey]) });
    const during = await readKeys({
      DEVSTACK_JWT_KEYS: JSON.stringify([newKey, { ...oldKey, key_ops: ['verify'] }]),
    });
    const after = await readKeys({ DEVSTACK_JWT_KEYS: JSON.stringify([newKey]) });
    const oldToken = await signJwt(before, claims());
    const newToken = await signJwt(during, claims());
    expect(await refusal(during, oldToken)).toBe('accepted');
    expect(await refusal(during, newToken)).toBe('accepted');
    expect(publicJwks(during.signingKeys).keys.map((k) => k.kid)).toEqual([newKey.kid, oldKey.kid]);
    expect(await refusal(after, newToken)).toBe('accepted');
    expect(await refusal(after, oldToken)).toBe('unknown_kid');
  });

  it('publishes public keys only, as GoTrue does', async () => {
    const [key] = publicJwks(keys.signingKeys).keys;
    expect(key).toEqual({
      alg: 'ES256',
      crv: 'P-256',
      ext: true,
      key_ops: ['verify'],
      kid: keys.signingKeys[0].kid,
      kty: 'EC',
      use: 'sig',
      x: keys.signingKeys[0].x,
      y: keys.signingKeys[0].y,
    });
    expect(key).not.toHaveProperty('d');
    expect(publicJwks(legacy.signingKeys)).toEqual({ keys: [] });
  });
});
