// Settings of supabase/config.toml that `supabase start` honours and the dev
// stack does not serve (email and phone flows, OAuth, MFA, passkeys, hooks, …).
// Left at their CLI defaults they change nothing; turned on, the dev stack says
// so at start instead of silently behaving otherwise.

type Table = Record<string, unknown>;

const isTable = (value: unknown): value is Table =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function at(root: Table, path: string): unknown {
  let value: unknown = root;
  for (const part of path.split('.')) {
    if (!isTable(value)) return undefined;
    value = value[part];
  }
  return value;
}

/** Switches whose CLI default the dev stack matches and whose opposite it does not serve. */
const SWITCHES: [path: string, servedValue: boolean][] = [
  ['api.enabled', true],
  ['api.tls.enabled', false],
  ['db.pooler.enabled', false],
  ['realtime.enabled', true],
  ['auth.enabled', true],
  ['auth.enable_manual_linking', false],
  ['auth.email.enable_confirmations', false],
  ['auth.email.secure_password_change', false],
  ['auth.sms.enable_signup', false],
  ['auth.passkey.enabled', false],
  ['auth.captcha.enabled', false],
  ['auth.oauth_server.enabled', false],
  ['auth.mfa.totp.enroll_enabled', false],
  ['auth.mfa.totp.verify_enabled', false],
  ['auth.mfa.phone.enroll_enabled', false],
  ['auth.mfa.phone.verify_enabled', false],
  ['auth.mfa.web_authn.enroll_enabled', false],
  ['auth.mfa.web_authn.verify_enabled', false],
];

/** Tables whose every child table is switched on with `enabled = true` (providers, hooks, …). */
const ENABLED_CHILDREN = ['auth.external', 'auth.web3', 'auth.third_party', 'auth.hook'];

/** Schemas PostgREST would expose that the dev stack's REST service serves. */
const SERVED_SCHEMAS = new Set(['public', 'graphql_public']);

function describe(path: string, value: unknown): string {
  const dot = path.lastIndexOf('.');
  return `[${path.slice(0, dot)}] ${path.slice(dot + 1)} = ${JSON.stringify(value)}`;
}

/** The settings in `config` (parsed config.toml, env() resolved) that the dev stack does not serve. */
export function unservedSettings(config: Table): string[] {
  const found: string[] = [];
  for (const [path, served] of SWITCHES) {
    const value = at(config, path);
    if (typeof value === 'boolean' && value !== served) found.push(describe(path, value));
  }
  for (const parent of ENABLED_CHILDREN) {
    const table = at(config, parent);
    if (!isTable(table)) continue;
    for (const [name, child] of Object.entries(table)) {
      if (isTable(child) && child.enabled === true) found.push(describe(`${parent}.${name}.enabled`, true));
    }
  }
  for (const path of ['auth.sessions.timebox', 'auth.sessions.inactivity_timeout']) {
    const value = at(config, path);
    if (typeof value === 'string' && value !== '') found.push(describe(path, value));
  }
  const schemas = at(config, 'api.schemas');
  if (Array.isArray(schemas)) {
    const extra = schemas.filter((s) => typeof s === 'string' && !SERVED_SCHEMAS.has(s));
    if (extra.length > 0) found.push(`[api] schemas = ${JSON.stringify(schemas)} (REST serves public only)`);
  }
  return found;
}
