// Forged and bent JWTs against every entry point of the stack. One row per
// token kind; each row states what REST, auth, realtime (connect, join, REST
// broadcast) and the Pusher / Ably auth routes answer, in the words of the
// service the stack stands in for (PostgREST 13, GoTrue, Realtime). Accepted:
// ES256 with a kid of the stack's JWKS (the default mode) and HS256 signed with
// the legacy secret (both modes); exp and nbf are enforced; a role comes only
// from a correctly signed token, never from user-editable metadata.
import { randomUUID } from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import { signJwt } from '@switchboard/devstack';
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DEPOT, USER } from '../support/seed-ids';
import {
  ablyToken,
  call,
  cookieSession,
  isSocket,
  openSocket,
  pusherAuth,
  rawSocket,
  stack,
  type RawSocket,
} from './support';

const sub = USER.dispatcherNorth;
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const hs256 = (claims: Record<string, unknown>, secret: string | Uint8Array, header: Record<string, unknown> = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header })
    .sign(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret);
/** A token signed the way the stack's Auth signs (ES256 with its key and kid; HS256 in legacy mode). */
const genuine = (claims: Record<string, unknown>) => signJwt(stack().keys, claims);
const es256Mode = () => stack().jwtAlgorithm === 'ES256';
/** The kid of the stack's signing key (ES256 mode), or one it never had (legacy mode). */
const stackKid = () => stack().keys.signingKeys[0]?.kid ?? randomUUID();

type Outcome = Record<string, string>;
type Forgery = { name: string; make: () => Promise<string>; expected: () => Outcome };

const now = () => Math.floor(Date.now() / 1000);
const base = () => ({ sub, aud: 'authenticated', iat: now(), exp: now() + 3600 });
let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let attacker: Awaited<ReturnType<typeof generateKeyPair>>;

const SIGNER = 'check your JWT secret or JWKS configuration';

// What each entry point answers for a token whose signature does not verify.
const badSignature: Outcome = {
  rest: '401 PGRST301: No suitable key or wrong key type',
  authUser: '403 bad_jwt',
  authAdmin: '403 bad_jwt',
  connect: '401 JwtSignatureError: Failed to validate JWT signature',
  join: 'error JwtSignatureError: Failed to validate JWT signature',
  restBroadcast: '401 Unauthorized',
  pusher: '401 Not signed in: sign in before joining realtime channels.',
  ably: '401 Sign in to use realtime: no valid session.',
};
// ...and for one no key of the stack could have signed (alg none or RS256; ES256 in legacy mode).
const noSigner = (rest = 'No suitable key or wrong key type', kid?: string): Outcome => ({
  ...badSignature,
  rest: `401 PGRST301: ${rest}`,
  connect: `401 JwtSignerError: Failed to generate JWT signer${kid ? ` for key ID (kid) "${kid}"` : ''}, ${SIGNER}`,
  join: `error JwtSignerError: Failed to generate JWT signer${kid ? ` for key ID (kid) "${kid}"` : ''}, ${SIGNER}`,
});

const FORGERIES: Forgery[] = [
  {
    name: 'alg: none (no signature), role service_role',
    make: async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...base(), role: 'service_role' })}.`,
    expected: () => noSigner('Wrong or unsupported encoding algorithm'),
  },
  {
    name: 'alg: none carrying the stack kid',
    make: async () => `${b64({ alg: 'none', kid: stackKid() })}.${b64({ ...base(), role: 'service_role' })}.`,
    expected: () => noSigner('Wrong or unsupported encoding algorithm'),
  },
  {
    name: 'HS256 signed with another secret, role service_role',
    make: () => hs256({ ...base(), role: 'service_role' }, 'not-the-stack-secret-but-at-least-32-characters'),
    expected: () => badSignature,
  },
  {
    // The wrong key: right algorithm and kid, another private key.
    name: 'ES256 signed with an attacker key under the stack kid',
    make: () =>
      new SignJWT({ ...base(), role: 'service_role' })
        .setProtectedHeader({ alg: 'ES256', kid: stackKid(), typ: 'JWT' })
        .sign(attacker.privateKey),
    expected: () => (es256Mode() ? badSignature : noSigner()),
  },
  {
    name: 'ES256 with a kid the stack never had',
    make: () =>
      new SignJWT({ ...base(), role: 'service_role' })
        .setProtectedHeader({ alg: 'ES256', kid: 'attacker-key-1', typ: 'JWT' })
        .sign(attacker.privateKey),
    expected: () => (es256Mode() ? noSigner(undefined, 'attacker-key-1') : noSigner()),
  },
  {
    name: 'ES256 without a kid',
    make: () =>
      new SignJWT({ ...base(), role: 'service_role' })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
        .sign(attacker.privateKey),
    expected: () => noSigner(),
  },
  {
    name: 'RS256 signed with an attacker key (HS/RS confusion)',
    make: () =>
      new SignJWT({ ...base(), role: 'service_role' })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
        .sign(rsa.privateKey),
    expected: () => noSigner(),
  },
  {
    name: 'RS256 carrying its own public key in the header (embedded jwk)',
    make: async () =>
      new SignJWT({ ...base(), role: 'service_role' })
        .setProtectedHeader({ alg: 'RS256', jwk: await exportJWK(rsa.publicKey) })
        .sign(rsa.privateKey),
    expected: () => noSigner(),
  },
  {
    name: 'HS256 signed with an RSA public key (PEM) as the secret',
    make: async () => hs256({ ...base(), role: 'service_role' }, await exportSPKI(rsa.publicKey)),
    expected: () => badSignature,
  },
  {
    // The classic confusion: the stack publishes this key, so an attacker has it.
    name: "HS256 signed with the stack's own public key (PEM from the JWKS)",
    make: async () => {
      const jwks = (await (await fetch(`${stack().apiUrl}/auth/v1/.well-known/jwks.json`)).json()) as {
        keys: object[];
      };
      const published = jwks.keys[0] ?? (await exportJWK(attacker.publicKey));
      const pem = await exportSPKI((await importJWK(published as never, 'ES256')) as CryptoKey);
      return hs256({ ...base(), role: 'service_role' }, pem);
    },
    expected: () => badSignature,
  },
  {
    name: "HS256 signed with the stack's public JWK as the secret, naming its kid",
    make: async () =>
      hs256({ ...base(), role: 'service_role' }, JSON.stringify(stack().keys.signingKeys[0] ?? {}), {
        kid: stackKid(),
      }),
    expected: () => badSignature,
  },
  {
    name: 'tampered payload (role swapped into a genuine token)',
    make: async () => {
      const [h, , s] = (await genuine({ ...base(), role: 'authenticated' })).split('.');
      return `${h}.${b64({ ...base(), role: 'service_role' })}.${s}`;
    },
    expected: () => badSignature,
  },
  {
    name: 'expired (exp 60 s ago, genuine signature)',
    make: () => genuine({ ...base(), role: 'authenticated', iat: now() - 3660, exp: now() - 60 }),
    expected: () => ({
      rest: '401 PGRST303: JWT expired',
      authUser: '403 bad_jwt',
      authAdmin: '403 bad_jwt',
      connect: '401 InvalidJWTToken: Token has expired N seconds ago',
      join: 'error InvalidJWTToken: Token has expired N seconds ago',
      restBroadcast: '401 Unauthorized',
      pusher: badSignature.pusher,
      ably: badSignature.ably,
    }),
  },
  {
    // Every service refuses a token that is not valid yet (Realtime as a bad signature).
    name: 'not yet valid (nbf in an hour, genuine signature)',
    make: () => genuine({ ...base(), role: 'authenticated', nbf: now() + 3600 }),
    expected: () => ({ ...badSignature, rest: '401 PGRST303: JWT not yet valid' }),
  },
  {
    // PostgREST runs a verified token without role as anon; GoTrue and Realtime require the claim.
    name: 'no role claim (genuine signature)',
    make: () => genuine(base()),
    expected: () => ({
      rest: '200 anon: []',
      authUser: '403 bad_jwt',
      authAdmin: '403 bad_jwt',
      connect: '401 InvalidJWTToken: Fields `role` and `exp` are required in JWT',
      join: 'error InvalidJWTToken: Fields `role` and `exp` are required in JWT',
      restBroadcast: '401 Unauthorized',
      pusher: badSignature.pusher,
      ably: badSignature.ably,
    }),
  },
  {
    // Only someone holding the signing key can mint this; even then the role gains nothing.
    name: 'unknown role (genuine signature, role nobody_here)',
    make: () => genuine({ ...base(), role: 'nobody_here' }),
    expected: () => ({
      rest: '401 22023: role "nobody_here" does not exist',
      authUser: '200 user',
      authAdmin: '403 not_admin',
      connect: 'open',
      join: `error Unauthorized: You do not have permissions to read from this Channel topic: shipments:${DEPOT.north}`,
      restBroadcast: '202',
      pusher: 'threw Could not read realtime_channel_grants(): role "nobody_here" does not exist',
      ably: '500 Could not read realtime channel grants: role "nobody_here" does not exist',
    }),
  },
];

const sockets: RawSocket[] = [];
beforeAll(async () => {
  rsa = await generateKeyPair('RS256');
  attacker = await generateKeyPair('ES256', { extractable: true });
});
afterAll(() => sockets.forEach((s) => s.ws.close()));

const text = (body: unknown, key: string) => (body as Record<string, string> | null)?.[key];

/** Every entry point's answer to `token`, as one comparable line each. */
async function outcomes(token: string): Promise<Record<string, string>> {
  const rest = await call('/rest/v1/shipments?select=id', { token });
  const user = await call('/auth/v1/user', { token, apikey: stack().publishableKey });
  const admin = await call('/auth/v1/admin/users', { token, apikey: stack().publishableKey });
  const connect = await rawSocket(token);
  if (isSocket(connect)) sockets.push(connect);
  const socket = await openSocket();
  sockets.push(socket);
  const joined = await socket.join(`shipments:${DEPOT.north}`, { private: true }, token);
  const broadcast = await call('/realtime/v1/api/broadcast', {
    token,
    body: { messages: [{ topic: `depot:${DEPOT.north}:live`, event: 'forged', payload: {}, private: true }] },
  });
  const session = cookieSession(token);
  const pusher = await pusherAuth(session, `private-shipments-${DEPOT.north}`).then(
    (r) => (r.status === 200 ? '200 signed' : `${r.status} ${r.body.error}`),
    (e: Error) => `threw ${e.message}`,
  );
  const ably = await ablyToken(session);
  return {
    rest:
      rest.status === 200
        ? `200 anon: ${JSON.stringify(rest.body)}`
        : `${rest.status} ${text(rest.body, 'code')}: ${text(rest.body, 'message')}`,
    authUser: user.status === 200 ? '200 user' : `${user.status} ${text(user.body, 'error_code')}`,
    authAdmin: `${admin.status} ${text(admin.body, 'error_code')}`,
    connect: isSocket(connect) ? 'open' : `${connect.status} ${text(connect.body, 'error')}`,
    join: `${joined.status} ${String(joined.response.reason ?? '')}`.trim(),
    restBroadcast: broadcast.status === 202 ? '202' : `${broadcast.status} ${text(broadcast.body, 'message')}`,
    pusher,
    ably: ably.ok ? 'token' : `${ably.status} ${ably.reason}`,
  };
}

const normalize = (o: Outcome) =>
  JSON.parse(JSON.stringify(o).replace(/expired \d+ seconds/g, 'expired N seconds')) as Record<string, string>;

describe('forged tokens at every entry point', () => {
  it.each(FORGERIES.map((f) => [f.name, f] as const))('%s', async (_name, forgery) => {
    expect(normalize(await outcomes(await forgery.make()))).toEqual(forgery.expected());
  });

  it.each([
    [
      'a genuine token of the stack (ES256 with its kid; HS256 in legacy mode)',
      () => genuine({ ...base(), role: 'authenticated' }),
    ],
    [
      'a legacy HS256 token signed with the JWT secret (accepted in both modes)',
      () => hs256({ ...base(), role: 'authenticated' }, stack().jwtSecret),
    ],
  ])('control: %s passes everywhere it should', async (_name, make) => {
    const got = await outcomes(await make());
    expect(got.rest).toMatch(/^200 anon: \[\{"id"/);
    expect(got).toMatchObject({ connect: 'open', join: 'ok', restBroadcast: '202', authAdmin: '403 not_admin' });
    // A minted token names no session, so GoTrue's /user accepts it while the routes need a real sign-in session.
    expect(got.authUser).toBe('200 user');
    expect(got.pusher).toBe('200 signed');
    expect(got.ably).toBe('token');
  });
});

describe('role escalation through metadata', () => {
  it('a user who sets user_metadata.role = service_role (and tries app_metadata) stays authenticated everywhere', async () => {
    const client = createClient(stack().apiUrl, stack().publishableKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never },
    });
    const email = `escalate.${randomUUID().slice(0, 8)}@security-test.example.com`;
    const signUp = await client.auth.signUp({
      email,
      password: 'correct-horse-1',
      options: { data: { role: 'service_role' } },
    });
    expect(signUp.error).toBeNull();
    const first = signUp.data.session!;

    const update = await call('/auth/v1/user', {
      method: 'PUT',
      token: first.access_token,
      apikey: stack().publishableKey,
      body: { data: { role: 'service_role' } },
    });
    expect(update.status).toBe(200);
    expect(update.body).toMatchObject({ role: 'authenticated', user_metadata: { role: 'service_role' } });
    const appMeta = await call('/auth/v1/user', {
      method: 'PUT',
      token: first.access_token,
      apikey: stack().publishableKey,
      body: { app_metadata: { role: 'service_role' } },
    });
    expect(appMeta).toMatchObject({ status: 403, body: { error_code: 'not_admin' } });

    const refreshed = await call('/auth/v1/token?grant_type=refresh_token', {
      apikey: stack().publishableKey,
      body: { refresh_token: first.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    const token = text(refreshed.body, 'access_token')!;
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<
      string,
      Record<string, unknown> | string
    >;
    expect(claims.role).toBe('authenticated');
    expect(claims.user_metadata).toMatchObject({ role: 'service_role' });
    expect((claims.app_metadata as Record<string, unknown>).role).toBeUndefined();

    // REST: RLS as an authenticated user of no depot (the service role would see every row).
    expect(await call('/rest/v1/shipments?select=id', { token })).toEqual({ status: 200, body: [] });
    expect(await call('/rest/v1/depots?select=id', { token })).toEqual({ status: 200, body: [] });
    const who = await call('/rest/v1/shipment_events', { token, body: { depot_id: DEPOT.north } });
    expect(who.status).toBe(403);
    // Auth admin API: a user, not an admin.
    expect(await call('/auth/v1/admin/users', { token, apikey: stack().publishableKey })).toMatchObject({
      status: 403,
      body: { error_code: 'not_admin' },
    });
    // Realtime: connects and joins as authenticated, private depot channels refused.
    const socket = await openSocket(token);
    sockets.push(socket);
    expect(await socket.join(`shipments:${DEPOT.north}`, { private: true }, token)).toEqual({
      status: 'error',
      response: {
        reason: `Unauthorized: You do not have permissions to read from this Channel topic: shipments:${DEPOT.north}`,
      },
    });
    // Route logic, with the genuine session of that user.
    const session = cookieSession(token);
    expect(await pusherAuth(session, `private-shipments-${DEPOT.north}`)).toMatchObject({ status: 403 });
    // Ably: a token for nothing but the person's own audience topics (rows addressed to them: none).
    const ably = await ablyToken(session);
    const capability = ably.ok ? (JSON.parse(ably.tokenRequest.capability) as Record<string, string[]>) : {};
    expect(Object.keys(capability).every((channel) => /^[a-z_]+:@/.test(channel))).toBe(true);
    expect(Object.keys(capability)).not.toContain(`shipments:${DEPOT.north}`);
  });
});
