// supabase/config.toml as the dev stack reads it: the CLI's defaults, every
// shared setting, env() as the CLI resolves it, DEVSTACK_* overrides, and errors
// that name the file, line and key.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readAuthConfig } from '../../src/auth/config';
import { findProjectRoot, readStackEnv } from '../../src/config';
import { readLimits } from '../../src/realtime/constants';
import { readRestConfig } from '../../src/rest/config';
import { defaultSupabaseConfig, readSupabaseConfig, SupabaseConfigError } from '../../src/supabase-config';

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A throw-away project folder whose supabase/config.toml is `toml` (and whose other files are `files`). */
function project(toml: string, files: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'devstack-config-'));
  folders.push(root);
  mkdirSync(path.join(root, 'supabase'));
  writeFileSync(path.join(root, 'supabase', 'config.toml'), toml);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(root, name), text);
  return root;
}

function configError(root: string, env: Record<string, string> = {}): SupabaseConfigError {
  try {
    readSupabaseConfig(root, env);
  } catch (err) {
    if (err instanceof SupabaseConfigError) return err;
    throw err;
  }
  throw new Error('expected a SupabaseConfigError');
}

const EVERY_SETTING = `
project_id = "demo"

[api]
port = 44321
max_rows = 25
extra_search_path = ["public", "extensions", "utils"]

[db]
port = 44322
major_version = 15

[db.migrations]
enabled = false

[db.seed]
enabled = false
sql_paths = ["./seeds/*.sql"]

[realtime]
max_header_length = 2048

[auth]
jwt_expiry = 120
jwt_issuer = "https://auth.example.test"
signing_keys_path = "./signing_keys.json"
enable_refresh_token_rotation = false
refresh_token_reuse_interval = 0
enable_signup = false
enable_anonymous_sign_ins = true
minimum_password_length = 12
password_requirements = "lower_upper_letters_digits"

[auth.email]
enable_signup = false
`;

describe('reading supabase/config.toml', () => {
  it('gives the Supabase CLI defaults for a file that sets nothing, and for no file', () => {
    const expected = {
      api: { port: 54321, maxRows: 1000, extraSearchPath: ['public', 'extensions'] },
      db: {
        port: 54322,
        majorVersion: 17,
        migrationsEnabled: true,
        seed: { enabled: true, sqlPaths: ['./seed.sql'] },
      },
      auth: {
        jwtIssuer: null,
        signingKeysPath: null,
        jwtExpiry: 3600,
        enableRefreshTokenRotation: true,
        refreshTokenReuseInterval: 10,
        enableSignup: true,
        enableAnonymousSignIns: false,
        minimumPasswordLength: 6,
        passwordRequirements: '',
        emailEnabled: true,
      },
      realtime: { maxHeaderLength: 4096 },
      unserved: [],
    };
    expect(readSupabaseConfig(project('project_id = "empty"\n'), {})).toMatchObject(expected);
    const missing = mkdtempSync(path.join(os.tmpdir(), 'devstack-config-'));
    folders.push(missing);
    expect(readSupabaseConfig(missing, {})).toEqual({ ...expected, file: null });
    expect(defaultSupabaseConfig()).toEqual({ ...expected, file: null });
  });

  it('reads every setting the dev stack shares with supabase start', () => {
    const root = project(EVERY_SETTING);
    expect(readSupabaseConfig(root, {})).toEqual({
      file: path.join(root, 'supabase', 'config.toml'),
      api: { port: 44321, maxRows: 25, extraSearchPath: ['public', 'extensions', 'utils'] },
      db: {
        port: 44322,
        majorVersion: 15,
        migrationsEnabled: false,
        seed: { enabled: false, sqlPaths: ['./seeds/*.sql'] },
      },
      auth: {
        jwtIssuer: 'https://auth.example.test',
        signingKeysPath: path.join(root, 'supabase', 'signing_keys.json'),
        jwtExpiry: 120,
        enableRefreshTokenRotation: false,
        refreshTokenReuseInterval: 0,
        enableSignup: false,
        enableAnonymousSignIns: true,
        minimumPasswordLength: 12,
        passwordRequirements: 'lower_upper_letters_digits',
        emailEnabled: false,
      },
      realtime: { maxHeaderLength: 2048 },
      unserved: [],
    });
  });

  it('takes the JWT issuer from external_url, as the CLI does when jwt_issuer is unset', () => {
    const auth = readSupabaseConfig(project('[auth]\nexternal_url = "https://id.example.test/auth/v1"\n'), {}).auth;
    expect(auth.jwtIssuer).toBe('https://id.example.test/auth/v1');
    const api = readSupabaseConfig(project('[api]\nexternal_url = "https://api.example.test/"\n'), {}).auth;
    expect(api.jwtIssuer).toBe('https://api.example.test/auth/v1');
  });

  it('resolves env() from the environment first, then the .env files, typed like the key', () => {
    const root = project('[auth]\njwt_expiry = "env(TOKEN_LIFETIME)"\nenable_signup = "env(SIGNUPS)"\n', {
      '.env': 'TOKEN_LIFETIME=900\nSIGNUPS=false\n',
    });
    expect(readSupabaseConfig(root, {}).auth).toMatchObject({ jwtExpiry: 900, enableSignup: false });
    expect(readSupabaseConfig(root, { TOKEN_LIFETIME: '60' }).auth.jwtExpiry).toBe(60);
    writeFileSync(path.join(root, 'supabase', '.env.local'), 'TOKEN_LIFETIME=300\n');
    expect(readSupabaseConfig(root, {}).auth.jwtExpiry).toBe(300);
  });

  it('names the file, line and key of a TOML syntax error', () => {
    const root = project('[api]\nport = 54321\n\n[auth]\njwt_expiry = 36x00\n');
    const error = configError(root);
    expect(error.file).toMatch(/supabase\/config\.toml$/);
    expect(error.line).toBe(5);
    expect(error.key).toBe('[auth] jwt_expiry');
    expect(error.message).toMatch(/supabase\/config\.toml:5: \[auth\] jwt_expiry: invalid TOML: .*numeric/);
  });

  it('names the file, line and key of a value of the wrong type or out of range', () => {
    const wrongType = configError(project('[auth]\n# comment\nminimum_password_length = "ten"\n'));
    expect([wrongType.line, wrongType.key]).toEqual([3, '[auth] minimum_password_length']);
    expect(wrongType.message).toMatch(/config\.toml:3: \[auth\] minimum_password_length: .*expected number/);

    const port = configError(project('[db]\nport = 70000\n'));
    expect([port.line, port.key]).toEqual([2, '[db] port']);

    const requirement = configError(project('[auth]\npassword_requirements = "long"\n'));
    expect(requirement.key).toBe('[auth] password_requirements');
    expect(requirement.message).toContain('"lower_upper_letters_digits_symbols"');

    const unresolved = configError(project('[auth]\njwt_expiry = "env(NOT_SET_ANYWHERE)"\n'));
    expect(unresolved.key).toBe('[auth] jwt_expiry');
  });

  it('lists the settings it does not serve instead of ignoring them silently', () => {
    const config = readSupabaseConfig(
      project(`
[auth.email]
enable_confirmations = true
[auth.external.github]
enabled = true
client_id = "x"
[auth.external.apple]
enabled = false
[auth.mfa.totp]
enroll_enabled = true
[auth.hook.custom_access_token]
enabled = true
uri = "pg-functions://postgres/public/hook"
[api]
schemas = ["public", "graphql_public", "private"]
`),
      {},
    );
    expect(config.unserved).toEqual([
      '[auth.email] enable_confirmations = true',
      '[auth.mfa.totp] enroll_enabled = true',
      '[auth.external.github] enabled = true',
      '[auth.hook.custom_access_token] enabled = true',
      '[api] schemas = ["public","graphql_public","private"] (REST serves public only)',
    ]);
  });

  it("reads the starter's own config.toml with nothing unserved", () => {
    const config = readSupabaseConfig(findProjectRoot(), {});
    expect(config.unserved).toEqual([]);
    expect(config.api.port).toBe(54321);
  });
});

describe('config.toml values as the services use them, with DEVSTACK_* overrides', () => {
  const config = () => readSupabaseConfig(project(EVERY_SETTING), {});

  it('ports come from [api] and [db] unless DEVSTACK_API_PORT / DEVSTACK_DB_PORT say otherwise', () => {
    expect(readStackEnv({}, config())).toMatchObject({ DEVSTACK_API_PORT: 44321, DEVSTACK_DB_PORT: 44322 });
    expect(readStackEnv({ DEVSTACK_API_PORT: '45000' }, config())).toMatchObject({
      DEVSTACK_API_PORT: 45000,
      DEVSTACK_DB_PORT: 44322,
    });
  });

  it('auth settings come from [auth] unless a DEVSTACK_* variable overrides them', () => {
    const fromFile = readAuthConfig({}, 'http://127.0.0.1:44321', config().auth);
    expect(fromFile).toMatchObject({
      jwtExpiry: 120,
      refreshTokenReuseInterval: 0,
      refreshTokenRotation: false,
      enableSignup: false,
      enableAnonymousSignIns: true,
      emailEnabled: false,
      issuer: 'https://auth.example.test',
      password: {
        minLength: 12,
        requiredCharacters: ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789'],
      },
    });
    const overridden = readAuthConfig(
      {
        DEVSTACK_JWT_EXPIRY: '30',
        DEVSTACK_ENABLE_SIGNUP: 'true',
        DEVSTACK_ENABLE_ANONYMOUS_SIGN_INS: 'false',
        DEVSTACK_MINIMUM_PASSWORD_LENGTH: '8',
        DEVSTACK_PASSWORD_REQUIREMENTS: 'none',
      },
      'http://127.0.0.1:44321',
      config().auth,
    );
    expect(overridden).toMatchObject({
      jwtExpiry: 30,
      enableSignup: true,
      enableAnonymousSignIns: false,
      password: { minLength: 8, requiredCharacters: [] },
    });
    expect(readAuthConfig({}, 'http://127.0.0.1:9', defaultSupabaseConfig().auth).issuer).toBe(
      'http://127.0.0.1:9/auth/v1',
    );
    expect(() => readAuthConfig({ DEVSTACK_ENABLE_SIGNUP: 'perhaps' }, 'http://x', config().auth)).toThrow(
      /DEVSTACK_ENABLE_SIGNUP/,
    );
  });

  it('max_rows and extra_search_path reach REST; max_header_length reaches Realtime', () => {
    expect(readRestConfig({}, config().api)).toMatchObject({
      maxRows: 25,
      searchPath: '"public", "extensions", "utils"',
    });
    expect(readRestConfig({ DEVSTACK_REST_MAX_ROWS: '7' }, config().api).maxRows).toBe(7);
    expect(readLimits({}, config().realtime).maxHeaderLength).toBe(2048);
    expect(readLimits({ DEVSTACK_REALTIME_MAX_HEADER_LENGTH: '100' }, config().realtime).maxHeaderLength).toBe(100);
  });
});
