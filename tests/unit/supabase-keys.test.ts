// The app's reading of Supabase keys from the environment (lib/supabase/keys.ts):
// which variable wins, and the message for every way a key can be wrong.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY } from '@switchboard/devstack';
import { describe, expect, it } from 'vitest';
import {
  apiKeyKind,
  LOCAL_PUBLISHABLE_KEY,
  publicSupabaseKey,
  secretSupabaseKey,
  supabaseKeyProblems,
} from '../../lib/supabase/keys';

// The Supabase CLI's well-known local keys (not secrets).
const PUBLISHABLE = 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH';
const SECRET = 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';
const ANON =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0';
const SERVICE_ROLE =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU';

describe('apiKeyKind', () => {
  it('tells the four kinds of key apart, and everything else is malformed', () => {
    expect(apiKeyKind(PUBLISHABLE)).toBe('publishable');
    expect(apiKeyKind(SECRET)).toBe('secret');
    expect(apiKeyKind(ANON)).toBe('anon');
    expect(apiKeyKind(SERVICE_ROLE)).toBe('service_role');
    for (const bad of [
      '',
      'sb_publishable_',
      'sb_publishable_short',
      `${PUBLISHABLE} `,
      `"${PUBLISHABLE}"`,
      'pk_live_1234567890abcdefghij',
      ANON.slice(0, 60),
      'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', // a JWT with no role and no signature
      'a.b.c',
    ])
      expect(`${bad}: ${apiKeyKind(bad)}`).toBe(`${bad}: malformed`);
  });
});

describe('the local keys', () => {
  it('are the keys of the pinned Supabase CLI (2.117), in the app and the dev stack', async () => {
    // The CLI's platform package (e.g. @supabase/cli-linux-x64) holds them in its binary.
    const scope = path.resolve(import.meta.dirname, '../../node_modules/@supabase');
    const platform = (await readdir(scope)).find((name) => name.startsWith('cli-'));
    expect(platform, 'the supabase CLI platform package is installed (npm ci)').toBeDefined();
    const binary = await readFile(path.join(scope, platform!, 'bin', 'supabase'));
    const keys = (prefix: string) => [
      ...new Set(binary.toString('latin1').match(new RegExp(`${prefix}[A-Za-z0-9_-]{20,}`, 'g'))),
    ];
    expect(keys('sb_publishable_')).toEqual([PUBLISHABLE]);
    expect(keys('sb_secret_')).toEqual([SECRET]);
    expect([LOCAL_PUBLISHABLE_KEY, DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY]).toEqual([
      PUBLISHABLE,
      PUBLISHABLE,
      SECRET,
    ]);
  });
});

describe('publicSupabaseKey', () => {
  it('prefers the publishable key, falls back to the legacy anon key, then the local one', () => {
    expect(
      publicSupabaseKey({ NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: PUBLISHABLE, NEXT_PUBLIC_SUPABASE_ANON_KEY: ANON }),
    ).toEqual({
      name: 'NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY',
      value: PUBLISHABLE,
    });
    expect(publicSupabaseKey({ NEXT_PUBLIC_SUPABASE_ANON_KEY: ANON })).toEqual({
      name: 'NEXT_PUBLIC_SUPABASE_ANON_KEY',
      value: ANON,
    });
    expect(publicSupabaseKey({ NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: '' }).value).toBe(LOCAL_PUBLISHABLE_KEY);
  });

  it('refuses a secret or malformed key, naming the variable and the fix', () => {
    expect(() => publicSupabaseKey({ NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: SECRET })).toThrow(
      /NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY holds a secret key \(sb_secret_…\).*Put the publishable key .* SUPABASE_SECRET_KEY \(server only\)/,
    );
    expect(() => publicSupabaseKey({ NEXT_PUBLIC_SUPABASE_ANON_KEY: SERVICE_ROLE })).toThrow(
      /NEXT_PUBLIC_SUPABASE_ANON_KEY holds the legacy service_role key/,
    );
    expect(() => publicSupabaseKey({ NEXT_PUBLIC_SUPABASE_ANON_KEY: 'your-anon-key' })).toThrow(
      /NEXT_PUBLIC_SUPABASE_ANON_KEY is not a Supabase API key .*Project Settings → API Keys.*or unset NEXT_PUBLIC_SUPABASE_ANON_KEY/,
    );
  });
});

describe('supabaseKeyProblems', () => {
  it('finds nothing wrong with the usual settings', () => {
    expect(supabaseKeyProblems({})).toEqual([]);
    expect(
      supabaseKeyProblems({
        NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: PUBLISHABLE,
        NEXT_PUBLIC_SUPABASE_ANON_KEY: ANON,
        SUPABASE_SECRET_KEY: SECRET,
        SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE,
        NEXT_PUBLIC_PUSHER_KEY: 'abc123',
      }),
    ).toEqual([]);
  });

  it('flags a secret key in any NEXT_PUBLIC_ variable, and a non-secret key where a secret one belongs', () => {
    const problems = supabaseKeyProblems({
      NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: 'sb_publishable_tooShort',
      NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE,
      NEXT_PUBLIC_ADMIN_KEY: SECRET,
      SUPABASE_SECRET_KEY: PUBLISHABLE,
      SUPABASE_SERVICE_ROLE_KEY: 'oops',
    });
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/^NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY is not a Supabase API key/);
    expect(problems.join('\n')).toMatch(/NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY holds the legacy service_role key/);
    expect(problems.join('\n')).toMatch(/NEXT_PUBLIC_ADMIN_KEY holds a secret key/);
    expect(problems.join('\n')).toMatch(/SUPABASE_SECRET_KEY holds the publishable key, which has no elevated access/);
    expect(problems.join('\n')).toMatch(/SUPABASE_SERVICE_ROLE_KEY is not a Supabase secret key/);
  });
});

describe('secretSupabaseKey', () => {
  it('takes SUPABASE_SECRET_KEY, else the legacy SUPABASE_SERVICE_ROLE_KEY', () => {
    expect(secretSupabaseKey({ SUPABASE_SECRET_KEY: SECRET, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE })).toEqual({
      name: 'SUPABASE_SECRET_KEY',
      value: SECRET,
    });
    expect(secretSupabaseKey({ SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE })).toEqual({
      name: 'SUPABASE_SERVICE_ROLE_KEY',
      value: SERVICE_ROLE,
    });
  });

  it('says which variables to set when neither is, and refuses a publishable key', () => {
    expect(() => secretSupabaseKey({})).toThrow(
      /SUPABASE_SECRET_KEY is not set \(nor the legacy SUPABASE_SERVICE_ROLE_KEY\)/,
    );
    expect(() => secretSupabaseKey({ SUPABASE_SECRET_KEY: ANON })).toThrow(/SUPABASE_SECRET_KEY holds the anon key/);
  });
});
