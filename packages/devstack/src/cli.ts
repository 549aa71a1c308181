// The `devstack` command (npm run stack, npm run db:types):
//   devstack [start] [--reset]   the dev stack in the foreground: Postgres (embedded,
//                                or DATABASE_URL), the Supabase platform bootstrap,
//                                migrations and, on a fresh database, the seed
//   devstack gen-types [--output <file>]
//                                the Database type of the running stack's database
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { findProjectRoot, projectPaths, readStackEnv, type StackEnv } from './config';
import { generateTypes } from './gen-types';
import { connectionUrl } from './postgres';
import { readSupabaseConfig, type SupabaseConfig } from './supabase-config';
import { StackError } from './errors';
import { bold, dim, log, timed } from './log';
import { startApi, type RunningApi } from './api';
import { readKeys, type StackKeys } from './keys';
import { databaseOf, dropSlot, persistentSlotName } from './realtime/extensions/postgres-changes/slot';
import { canSign } from './signing-keys';
import { startStack, type RunningStack } from './stack';
import { readStackStatus } from './status';

const usage = `Usage: devstack [start] [--reset]      (npm run stack [-- --reset])
       devstack gen-types [--output <file>]  (npm run db:types)

  start              run the dev stack in the foreground (the default)
    --reset          delete the local database folder first and start from the seed
                     (with DATABASE_URL: delete only the dev stack's replication slot)
  gen-types          print the TypeScript Database type of the running stack's database
    --output <file>  write it to <file> instead of stdout
  --help             show this help

Settings come from supabase/config.toml (ports, auth, max_rows, seed, …) as
\`supabase start\` reads them; DEVSTACK_* variables override them.
Environment: DATABASE_URL (use this Postgres 15+ instead of the embedded one: a
superuser), DEVSTACK_WORKDIR (the project folder), DEVSTACK_DB_PORT ([db] port),
DEVSTACK_API_PORT ([api] port), DEVSTACK_DATA_DIR (default .devstack/pg17),
DEVSTACK_JWT_ALGORITHM (ES256 or HS256), DEVSTACK_JWT_KEYS, DEVSTACK_SIGNING_KEYS_FILE,
DEVSTACK_PUBLISHABLE_KEY, DEVSTACK_SECRET_KEY, DEVSTACK_JWT_SECRET, DEVSTACK_ANON_KEY,
DEVSTACK_SERVICE_ROLE_KEY, DEVSTACK_JWT_EXPIRY; see README.md.`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      reset: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      output: { type: 'string' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const [command = 'start', ...rest] = positionals;
  if (rest.length > 0) throw new StackError(`Unexpected argument: ${rest.join(' ')}`, usage);
  if (command === 'gen-types') return genTypes(values.output);
  if (command !== 'start') throw new StackError(`Unknown command: ${command}`, usage);
  await start(values.reset);
}

async function genTypes(output: string | undefined): Promise<void> {
  const root = findProjectRoot();
  const env = readStackEnv(process.env, readSupabaseConfig(root));
  const url = env.DATABASE_URL ?? connectionUrl(env.DEVSTACK_DB_PORT);
  // Progress goes to stderr so that stdout carries only the generated file.
  console.error(`generating types from ${redact(url)}`);
  const text = await generateTypes(url).catch((err: Error) => {
    throw new StackError(err.message, 'Is the dev stack running? Start it with: npm run stack');
  });
  if (!output) {
    process.stdout.write(text);
    return;
  }
  const file = path.resolve(root, output);
  await fs.writeFile(file, text);
  log.ok(`wrote ${path.relative(root, file)} (${text.split('\n').length} lines)`);
}

/**
 * The signing keys file: DEVSTACK_SIGNING_KEYS_FILE, else config.toml's [auth]
 * signing_keys_path (which, as for the CLI, must exist), else .devstack/signing_keys.json
 * (created on first start).
 */
function signingKeysFile(env: StackEnv, config: SupabaseConfig, root: string): string {
  if (env.DEVSTACK_SIGNING_KEYS_FILE) return path.resolve(root, env.DEVSTACK_SIGNING_KEYS_FILE);
  const named = config.auth.signingKeysPath;
  if (named === null) return projectPaths(root).signingKeysFile;
  if (!existsSync(named)) {
    throw new StackError(
      `config.toml's [auth] signing_keys_path names ${path.relative(root, named)}, which does not exist.`,
      'Create it with `npx supabase gen signing-key` (the CLI refuses to start without it too), or remove the setting.',
    );
  }
  return named;
}

/** What config.toml asks for that this run will not do as `supabase start` would. */
function warnAboutConfig(config: SupabaseConfig, usesEmbedded: boolean): void {
  for (const setting of config.unserved) {
    log.warn(`config.toml sets ${setting}: not served by the dev stack (README: "Known differences")`);
  }
  if (usesEmbedded && config.db.majorVersion !== 17) {
    log.warn(
      `config.toml asks for PostgreSQL ${config.db.majorVersion} ([db] major_version); the embedded server is 17. ` +
        `To run on ${config.db.majorVersion}, give DATABASE_URL a server of that version.`,
    );
  }
}

async function start(reset: boolean): Promise<void> {
  const values = { reset };
  const root = findProjectRoot();
  const config = readSupabaseConfig(root);
  const env = readStackEnv(process.env, config);
  const dataDir = env.DEVSTACK_DATA_DIR ?? projectPaths(root).defaultDataDir;
  if (config.file) log.step(`project ${root} ${dim(`(settings: ${path.relative(root, config.file)})`)}`);
  warnAboutConfig(config, !env.DATABASE_URL);
  // Before Postgres starts, so a bad key setting fails at once and leaves nothing running.
  const keys = await readKeys(process.env, { signingKeysFile: signingKeysFile(env, config, root) });

  let stack: RunningStack | null = null;
  let api: RunningApi | null = null;
  // Keeps the process in the foreground until a signal arrives.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.step(`${signal}: stopping…`);
    clearInterval(keepAlive);
    await api?.close();
    await stack?.stop();
    log.ok('stopped cleanly');
  };
  // `on`, not `once`: a second Ctrl-C must not kill the process mid-shutdown
  // and leave Postgres running.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  if (env.DATABASE_URL) {
    log.step(`using the database from DATABASE_URL ${dim(redact(env.DATABASE_URL))}`);
    if (values.reset) {
      log.warn('--reset leaves the data of DATABASE_URL as it is; it only deletes the dev stack replication slot');
      const slot = persistentSlotName(databaseOf(env.DATABASE_URL));
      const admin = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
      try {
        if (await dropSlot(admin, slot)) log.ok(`deleted replication slot ${slot}`);
      } finally {
        await admin.end();
      }
    }
  } else {
    if (values.reset) {
      await timed(`deleted ${dataDir}`, () => fs.rm(dataDir, { recursive: true, force: true }));
    }
    log.step(`starting PostgreSQL 17 on 127.0.0.1:${env.DEVSTACK_DB_PORT} ${dim(`(data: ${dataDir})`)}`);
  }
  stack = await timed('database ready (bootstrap and migrations)', () =>
    startStack({ databaseUrl: env.DATABASE_URL, dbPort: env.DEVSTACK_DB_PORT, dataDir, projectDir: root, config }),
  );
  if (stack.createdCluster) log.ok(`created a new database cluster in ${dataDir}`);
  const { applied, seeded, seedFiles, role, warnings } = stack.migrations;
  for (const warning of warnings) log.warn(warning);
  for (const m of applied) log.ok(`applied migration ${m.version}_${m.name} ${dim(`(as ${role.name})`)}`);
  if (applied.length === 0) log.ok('migrations already up to date');
  if (seeded) log.ok(`seeded demo data (${seedFiles.join(', ')})`);
  if (role.superuser) {
    log.warn(
      `"${role.name}" is a superuser in this database, so migrations run with more rights than on Supabase ` +
        `and privilege mistakes go unnoticed. ${env.DATABASE_URL ? 'Give DATABASE_URL a server whose bootstrap superuser is not "postgres" (initdb -U supabase_admin).' : 'The data folder was made by an older dev stack: npm run stack:reset recreates it.'}`,
    );
  }
  api = await timed(`API gateway listening on 127.0.0.1:${env.DEVSTACK_API_PORT} (auth, rest, realtime)`, () =>
    startApi({ dbUrl: stack!.dbUrl, port: env.DEVSTACK_API_PORT, keys, config, persistentSlot: true }),
  );
  const status = await readStackStatus(stack.sql);
  console.log(`
${bold('Switchboard dev stack is ready.')}

        API URL: ${api.url}
       REST URL: ${api.url}/rest/v1
       Auth URL: ${api.url}/auth/v1
   Realtime URL: ${api.url.replace(/^http/, 'ws')}/realtime/v1
         DB URL: ${stack.postgresUrl}
       Postgres: ${status.serverVersion}
 Publishable key: ${keys.publishableKey}
      Secret key: ${keys.secretKey} ${dim('(server only)')}
     JWT signing: ${signing(keys, api.url, root)}
${dim(`     Legacy keys (HS256, ${keys.jwtAlgorithm === 'ES256' ? 'still accepted' : 'in use'}):`)}
        anon key: ${keys.anonKey}
service_role key: ${keys.serviceRoleKey}
     Migrations: ${status.migrationsApplied} applied
  Demo accounts: ${status.demoAccounts.join(', ') || 'none'} ${dim('(password: password123)')}

${dim('Press Ctrl-C to stop.')}`);
}

/** "ES256, kid … (file) · JWKS at …" or the legacy mode. */
function signing(keys: StackKeys, apiUrl: string, root: string): string {
  if (keys.jwtAlgorithm === 'HS256')
    return `HS256 with the JWT secret ${dim('(legacy mode: DEVSTACK_JWT_ALGORITHM=HS256)')}`;
  const kid = keys.signingKeys.find(canSign)?.kid ?? '?';
  const file = keys.signingKeysSource ?? '';
  const inProject = path.isAbsolute(file) && !path.relative(root, file).startsWith('..');
  const source = inProject ? path.relative(root, file) : file;
  return `ES256, kid ${kid} ${dim(`(${source})`)}\n            JWKS: ${apiUrl}/auth/v1/.well-known/jwks.json`;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

main().catch((err: unknown) => {
  if (err instanceof StackError) {
    log.error(err.message);
    if (err.hint) console.error(`  ${err.hint}`);
  } else {
    log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  }
  process.exit(1);
});
