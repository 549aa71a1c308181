// What GoTrue answers for what the dev stack does not serve, through supabase-js:
// grant types and providers that are off (id_token, pkce, web3, OAuth, SSO),
// MFA enrolment, manual linking, passkeys and the OAuth server answer with
// GoTrue's own status, code and message for a disabled feature; email addresses
// are checked with GoTrue's own rules.
import { randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  adminClient,
  anonClient,
  authFetch,
  signUpNew,
  startAuthGateway,
  uniqueEmail,
  type AuthTestStack,
} from './auth-helpers';

let stack: AuthTestStack;
let user: SupabaseClient;
beforeAll(async () => {
  stack = await startAuthGateway();
  user = anonClient(stack);
  await user.auth.setSession(await signUpNew(user, 'unserved'));
});
afterAll(() => stack.close());

/** A JWT-shaped string whose payload is `claims` (unsigned: GoTrue reads the issuer before verifying). */
const unsignedJwt = (claims: object) =>
  ['{"alg":"RS256"}', JSON.stringify(claims), 'sig'].map((part) => Buffer.from(part).toString('base64url')).join('.');

describe('email addresses, checked as GoTrue checks them', () => {
  it.each([
    ['xx:;x@x.x', 'Unable to validate email address: invalid format'],
    ['two words@example.com', 'Unable to validate email address: invalid format'],
    ['user@-example.com', 'Unable to validate email address: invalid format'],
    ['user@example..com', 'Unable to validate email address: invalid format'],
    [`${'a'.repeat(250)}@x.com`, 'An email address is too long'],
  ])('admin createUser refuses %s with validation_failed', async (email, message) => {
    const { data, error } = await adminClient(stack).auth.admin.createUser({ email, password: 'correct-horse-1' });
    expect(data.user).toBeNull();
    expect(error).toMatchObject({ status: 400, code: 'validation_failed', message });
  });

  it('refuses them at sign-up too, and accepts what checkmail accepts (a dotless host, an apostrophe, a plus tag)', async () => {
    const signUp = await anonClient(stack).auth.signUp({ email: 'xx:;x@x.x', password: 'correct-horse-1' });
    expect(signUp.error).toMatchObject({ status: 400, code: 'validation_failed' });
    for (const email of [
      `dev.${randomUUID().slice(0, 8)}@localhost`,
      `o'neil+${randomUUID().slice(0, 8)}@mail.example.co.uk`,
    ]) {
      const { data, error } = await adminClient(stack).auth.admin.createUser({ email, password: 'correct-horse-1' });
      expect(error).toBeNull();
      expect(data.user?.email).toBe(email.toLowerCase());
    }
  });
});

describe('grant types and providers that are off', () => {
  it('an unknown grant type gets unsupported_grant_type', async () => {
    const response = await authFetch(stack, '/token?grant_type=magic', { body: {} });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error_code: 'invalid_credentials', msg: 'unsupported_grant_type' });
  });

  it.each([
    [
      { provider: 'google' as const, token: 'any' },
      'provider_disabled',
      'Provider (issuer "https://accounts.google.com") is not enabled',
    ],
    [
      { provider: 'facebook' as const, token: 'any' },
      'provider_disabled',
      'Provider (issuer "https://www.facebook.com") is not enabled',
    ],
    [
      { provider: 'apple' as const, token: unsignedJwt({ iss: 'https://appleid.apple.com' }) },
      'provider_disabled',
      'Provider (issuer "https://appleid.apple.com") is not enabled',
    ],
    [
      { provider: 'apple' as const, token: 'not-a-jwt' },
      'validation_failed',
      'Unable to detect issuer in ID token for Apple provider',
    ],
    [
      { provider: 'azure' as const, token: unsignedJwt({ iss: 'https://example.com/' }) },
      'validation_failed',
      'Detected ID token issuer is not an Azure ID token issuer',
    ],
    [{ provider: 'custom:acme' as 'google', token: 'any' }, 'validation_failed', 'Custom OAuth providers are disabled'],
    [{ provider: 'myidp' as 'google', token: 'any' }, 'validation_failed', 'Custom OIDC provider "myidp" not allowed'],
  ])('signInWithIdToken(%j) answers %s', async (credentials, code, message) => {
    const { data, error } = await anonClient(stack).auth.signInWithIdToken(credentials);
    expect(data.session).toBeNull();
    expect(error).toMatchObject({ status: 400, code, message });
  });

  it("signInWithIdToken without a token or provider gets GoTrue's OAuth-style error", async () => {
    const response = await authFetch(stack, '/token?grant_type=id_token', { body: { provider: 'google' } });
    expect(response).toMatchObject({
      status: 400,
      body: { error: 'invalid request', error_description: 'id_token required' },
    });
    const noProvider = await authFetch(stack, '/token?grant_type=id_token', { body: { id_token: 'x' } });
    expect(noProvider.body).toEqual({
      error: 'invalid request',
      error_description: 'provider or client_id and issuer required',
    });
  });

  it('exchangeCodeForSession: no code was ever issued, so no flow state is found', async () => {
    // A PKCE client stores a code verifier when it builds an OAuth URL, as in a browser.
    const pkce = createClient(stack.url, stack.anonKey, {
      realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
      auth: { flowType: 'pkce', persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    });
    await pkce.auth.signInWithOAuth({ provider: 'github', options: { skipBrowserRedirect: true } });
    const { error } = await pkce.auth.exchangeCodeForSession('0b5b2c33-0d4b-4e37-8d4e-a39b1c3c8e29');
    expect(error).toMatchObject({
      status: 404,
      code: 'flow_state_not_found',
      message: 'invalid flow state, no valid flow state found',
    });
    const empty = await authFetch(stack, '/token?grant_type=pkce', { body: { auth_code: 'x' } });
    expect(empty.body).toMatchObject({
      error_code: 'validation_failed',
      msg: 'invalid request: both auth code and code verifier should be non-empty',
    });
  });

  it('web3 sign-ins are off', async () => {
    const response = await authFetch(stack, '/token?grant_type=web3', {
      body: { chain: 'solana', message: 'm', signature: 's' },
    });
    expect(response).toMatchObject({
      status: 422,
      body: { error_code: 'web3_provider_disabled', msg: 'Web3 provider is disabled' },
    });
  });

  it('signInWithOAuth leads to /authorize, which answers that the provider is not enabled', async () => {
    const { data } = await anonClient(stack).auth.signInWithOAuth({
      provider: 'github',
      options: { skipBrowserRedirect: true },
    });
    const response = await fetch(data.url!, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error_code: 'validation_failed',
      msg: 'Unsupported provider: provider is not enabled',
    });
    const unknown = await authFetch(stack, '/authorize?provider=MySpace');
    expect(unknown.body).toMatchObject({ msg: 'Unsupported provider: Provider myspace could not be found' });
  });

  it('signInWithSSO: SAML is off', async () => {
    const { error } = await anonClient(stack).auth.signInWithSSO({ domain: 'example.com' });
    expect(error).toMatchObject({ status: 404, code: 'saml_provider_disabled', message: 'SAML 2.0 is disabled' });
  });

  it('signInWithOtp: the phone provider is off; signups for unknown emails are refused; email OTP is not served', async () => {
    const phone = await anonClient(stack).auth.signInWithOtp({ phone: '+15555550100' });
    expect(phone.error).toMatchObject({
      status: 400,
      code: 'phone_provider_disabled',
      message: 'Unsupported phone provider',
    });
    const unknown = await anonClient(stack).auth.signInWithOtp({
      email: uniqueEmail('nobody'),
      options: { shouldCreateUser: false },
    });
    expect(unknown.error).toMatchObject({ status: 422, code: 'otp_disabled', message: 'Signups not allowed for otp' });
    const email = await anonClient(stack).auth.signInWithOtp({ email: uniqueEmail('magic') });
    expect(email.error?.status).toBe(404);
    expect(email.error?.message).toMatch(/not served by the dev stack: it sends no email/);
  });
});

describe('MFA, linking, passkeys and the OAuth server are off', () => {
  it('mfa.enroll answers that enrolment is disabled, per factor type', async () => {
    const totp = await user.auth.mfa.enroll({ factorType: 'totp' });
    expect(totp.error).toMatchObject({
      status: 422,
      code: 'mfa_totp_enroll_not_enabled',
      message: 'MFA enroll is disabled for TOTP',
    });
    const phone = await user.auth.mfa.enroll({ factorType: 'phone', phone: '+15555550100' });
    expect(phone.error).toMatchObject({
      code: 'mfa_phone_enroll_not_enabled',
      message: 'MFA enroll is disabled for Phone',
    });
  });

  it('no factor exists: challenge and unenroll find none, the admin lists none', async () => {
    const factorId = randomUUID();
    const challenge = await user.auth.mfa.challenge({ factorId });
    expect(challenge.error).toMatchObject({ status: 404, code: 'mfa_factor_not_found', message: 'Factor not found' });
    const unenroll = await user.auth.mfa.unenroll({ factorId });
    expect(unenroll.error).toMatchObject({ code: 'mfa_factor_not_found' });
    const { data: me } = await user.auth.getUser();
    const listed = await adminClient(stack).auth.admin.mfa.listFactors({ userId: me.user!.id });
    expect(listed).toEqual({ data: { factors: [] }, error: null });
    const deleted = await adminClient(stack).auth.admin.mfa.deleteFactor({ userId: me.user!.id, id: factorId });
    expect(deleted.error).toMatchObject({ code: 'mfa_factor_not_found' });
  });

  it('linkIdentity and unlinkIdentity: manual linking is off', async () => {
    const link = await user.auth.linkIdentity({ provider: 'github', options: { skipBrowserRedirect: true } });
    expect(link.error).toMatchObject({
      status: 404,
      code: 'manual_linking_disabled',
      message: 'Manual linking is disabled',
    });
    const { data } = await user.auth.getUserIdentities();
    const unlink = await user.auth.unlinkIdentity(data!.identities[0]);
    expect(unlink.error).toMatchObject({ code: 'manual_linking_disabled' });
  });

  it('passkeys and the OAuth server are off', async () => {
    const passkey = await anonClient(stack).auth.passkey.startAuthentication();
    expect(passkey.error).toMatchObject({ status: 404, code: 'passkey_disabled', message: 'Passkeys are disabled' });
    const grants = await user.auth.oauth.listGrants();
    expect(grants.error).toMatchObject({ status: 404, code: 'feature_disabled', message: 'OAuth server is disabled' });
  });
});
