// npm run doctor -- --db-url <postgres url> [--url <project url> --key <key> …]
//
// A pre-flight check of a deployment target (hosted Supabase, `supabase
// start` or the dev stack): migrations applied, row level security on every
// exposed table, the realtime publication, today's and tomorrow's
// realtime.messages partitions, the keys against REST, Auth and Realtime, and
// the relay's outbox and dead letters. Each finding comes with its fix; the
// exit code is 1 when anything failed (2 for a usage error).
//
// Hand-written checks: each is one catalog query or one request, specific to
// what this starter relies on; Supabase's own linter (splinter) checks other
// things and needs the dashboard or Docker.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import {
  checkMessagePartitions,
  checkMigrations,
  checkOutbox,
  checkPublication,
  checkRowLevelSecurity,
  type RealtimeProviderName,
} from './doctor/database';
import { checkAuth, checkRealtime, checkRest } from './doctor/keys';
import { formatResult, redactUrl, summarize, type CheckResult } from './doctor/report';

const root = path.resolve(import.meta.dirname, '..');

export interface DoctorOptions {
  dbUrl: string;
  /** The project URL (https://<ref>.supabase.co, http://127.0.0.1:54321) for the key checks. */
  url?: string;
  keys: string[];
  provider: RealtimeProviderName;
  /** Schemas the API exposes (config.toml [api] schemas by default). */
  schemas: string[];
  /** The oldest undelivered outbox row may be this old before it counts as stuck. */
  maxBacklogAgeSeconds: number;
  migrationsDir: string;
  /** Called with each result as soon as it is known (progress output). */
  onResult?: (result: CheckResult) => void;
}

/** The schemas config.toml's [api] section exposes (the CLI's default: public, graphql_public). */
export async function exposedSchemas(configFile = path.join(root, 'supabase', 'config.toml')): Promise<string[]> {
  const fallback = ['public', 'graphql_public'];
  let text: string;
  try {
    text = await readFile(configFile, 'utf8');
  } catch {
    return fallback;
  }
  const parsed = z
    .object({ api: z.object({ schemas: z.array(z.string().min(1)).optional() }).optional() })
    .safeParse(parseToml(text));
  return parsed.success ? (parsed.data.api?.schemas ?? fallback) : fallback;
}

/** Runs every check that the options allow; returns the results in order. Never throws for a finding. */
export async function runDoctor(options: DoctorOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const report = (result: CheckResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  const sql = postgres(options.dbUrl, {
    max: 1,
    onnotice: () => {},
    connect_timeout: 10,
    connection: { application_name: 'switchboard-doctor' },
  });
  let restTable: string | null = null;
  try {
    try {
      await sql`select 1`;
      report({ id: 'database', title: 'Database', status: 'pass', detail: `connected to ${redactUrl(options.dbUrl)}` });
    } catch (err) {
      report({
        id: 'database',
        title: 'Database',
        status: 'fail',
        detail: `cannot connect to ${redactUrl(options.dbUrl)}: ${err instanceof Error ? err.message : String(err)}`,
        fix: 'Check --db-url: on Supabase, the direct or session-pooler string (port 5432) as postgres, from Project Settings → Database.',
      });
    }
    if (results[0].status === 'pass') {
      const checks: (() => Promise<CheckResult>)[] = [
        () => checkMigrations(sql, options.migrationsDir),
        () => checkRowLevelSecurity(sql, options.schemas),
        () => checkPublication(sql, options.migrationsDir),
        () => checkMessagePartitions(sql),
        () => checkOutbox(sql, options.provider, options.maxBacklogAgeSeconds),
      ];
      for (const check of checks) {
        try {
          report(await check());
        } catch (err) {
          report({
            id: 'error',
            title: 'A check could not run',
            status: 'fail',
            detail: err instanceof Error ? err.message : String(err),
            fix: 'Connect as the project owner (postgres) or a superuser, so the catalogs and tables can be read.',
          });
        }
      }
      // A table the anon role may read, for the REST key check (else the API root).
      const [row] = await sql<{ name: string }[]>`
        select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind in ('r', 'p', 'v') and not c.relispartition
           and has_table_privilege('anon', c.oid, 'select')
         order by c.relname limit 1`.catch(() => [] as { name: string }[]);
      restTable = row?.name ?? null;
    }
  } finally {
    await sql.end({ timeout: 2 });
  }

  if (options.url) {
    const apiUrl = options.url.replace(/\/+$/, '');
    for (const [index, key] of options.keys.entries()) {
      report(await checkRest(apiUrl, key, index + 1, restTable));
      report(await checkAuth(apiUrl, key, index + 1));
      report(await checkRealtime(apiUrl, key, index + 1));
    }
  } else {
    report({ id: 'keys', title: 'API keys', status: 'skip', detail: 'not checked (give --url and --key)' });
  }
  return results;
}

const USAGE = `Usage: npm run doctor -- --db-url <postgres url> [--url <project url> --key <key> [--key <key> …]]
         [--provider supabase|ably|pusher] [--schemas public,graphql_public] [--max-backlog-age <seconds>]

  --db-url   the database (hosted: Project Settings → Database, port 5432, as postgres;
             the dev stack and supabase start: postgresql://postgres:postgres@127.0.0.1:54322/postgres)
  --url      the project URL (https://<ref>.supabase.co, http://127.0.0.1:54321) to check keys against
  --key      a publishable, secret, or legacy anon / service_role key; repeat for several
  --provider the realtime provider the app uses (default: REALTIME_PROVIDER or
             NEXT_PUBLIC_REALTIME_PROVIDER, else supabase); with ably or pusher the relay's
             outbox and dead letters must be healthy
  --schemas  the schemas the API exposes (default: supabase/config.toml [api] schemas)`;

const providerSchema = z.enum(['supabase', 'ably', 'pusher']);

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({
      options: {
        'db-url': { type: 'string' },
        url: { type: 'string' },
        key: { type: 'string', multiple: true },
        provider: { type: 'string' },
        schemas: { type: 'string' },
        'max-backlog-age': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const problems: string[] = [];
  const dbUrl = values['db-url'] ?? process.env.DATABASE_URL;
  if (!dbUrl || !/^postgres(ql)?:\/\//.test(dbUrl)) problems.push('--db-url (a postgres:// URL) is required');
  const keys = values.key ?? [];
  if (values.url && keys.length === 0) problems.push('--url needs at least one --key to check');
  if (!values.url && keys.length > 0) problems.push('--key needs --url (the project URL)');
  if (values.url && !/^https?:\/\//.test(values.url)) problems.push('--url must be an http(s) URL');
  const provider = providerSchema.safeParse(
    values.provider || process.env.REALTIME_PROVIDER || process.env.NEXT_PUBLIC_REALTIME_PROVIDER || 'supabase',
  );
  if (!provider.success) problems.push('--provider must be supabase, ably or pusher');
  const maxAge = Number(values['max-backlog-age'] ?? 60);
  if (!Number.isInteger(maxAge) || maxAge < 1) problems.push('--max-backlog-age must be a whole number of seconds');
  if (problems.length > 0 || !dbUrl || !provider.success) {
    console.error(`${problems.map((p) => `  - ${p}`).join('\n')}\n\n${USAGE}`);
    return 2;
  }

  const schemas = values.schemas
    ? values.schemas
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : await exposedSchemas();
  console.log(
    `Switchboard doctor: ${redactUrl(dbUrl)}${values.url ? `, API ${values.url}` : ''} (provider ${provider.data})`,
  );
  const results = await runDoctor({
    dbUrl,
    url: values.url,
    keys,
    provider: provider.data,
    schemas,
    maxBacklogAgeSeconds: maxAge,
    migrationsDir: path.join(root, 'supabase', 'migrations'),
    onResult: (result) => console.log(formatResult(result)),
  });
  console.log(summarize(results));
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}

// Run as a script (npm run doctor), not when a test imports runDoctor.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`doctor crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exit(1);
    },
  );
}
