// npm run live:add -- <table> --scope <column> [--audience <column>] [--scope-check 'fn(type)']
//
// Makes an existing table live: writes
//   supabase/migrations/<timestamp>_live_<table>.sql   select live.publish(…)
//   lib/<table>/schema.ts                               zod schema + live table definition
//   lib/<table>/hooks.ts                                typed list / row / update / insert hooks
// from the table's columns in lib/database.types.ts (npm run db:types).
// Hand-written rather than a scaffolding library: it is three small templates
// over the compiler API's reading of the generated types; plop/hygen would add
// a template language without removing any of that.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readColumns } from './live-add/columns';
import { names, render } from './live-add/render';

export interface LiveAddRun {
  table: string;
  scope: string;
  audience?: string;
  scopeCheck?: string;
  typesFile: string;
  libDir: string;
  migrationsDir: string;
  force?: boolean;
  now?: Date;
}

/** The Supabase CLI's migration version: UTC YYYYMMDDHHMMSS. */
export function migrationTimestamp(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * The version for a new migration: `now` as the CLI writes it, or one second
 * after the latest existing migration when that sorts later (a clock behind, or
 * migrations dated ahead), so the new file always runs after the tables and the
 * `live` schema it depends on — also on a fresh database. `existing`: file names.
 */
export function nextMigrationVersion(now: Date, existing: readonly string[]): string {
  const latest = existing
    .map((name) => /^(\d{14})_/.exec(name)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort()
    .at(-1);
  const candidate = migrationTimestamp(now);
  if (!latest || candidate > latest) return candidate;
  const [, y, mo, d, h, mi, se] = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(latest)!;
  return migrationTimestamp(new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +se + 1)));
}

/** Writes the three files; returns their paths. Refuses to overwrite without `force`. */
export async function liveAdd(run: LiveAddRun): Promise<string[]> {
  const columns = readColumns(await readFile(run.typesFile, 'utf8'), run.table, path.basename(run.typesFile));
  const existingMigrations = existsSync(run.migrationsDir) ? await readdir(run.migrationsDir) : [];
  const files = render(run, columns, nextMigrationVersion(run.now ?? new Date(), existingMigrations));
  const dir = path.join(run.libDir, run.table);
  const targets = [
    [path.join(run.migrationsDir, files.migration.name), files.migration.text],
    [path.join(dir, 'schema.ts'), files.schema],
    [path.join(dir, 'hooks.ts'), files.hooks],
  ] as const;
  const existing = targets.filter(([file]) => existsSync(file)).map(([file]) => file);
  if (existing.length > 0 && !run.force) {
    throw new Error(`Would overwrite ${existing.join(', ')}: pass --force to replace them.`);
  }
  await mkdir(dir, { recursive: true });
  await mkdir(run.migrationsDir, { recursive: true });
  for (const [file, text] of targets) await writeFile(file, text);
  return targets.map(([file]) => file);
}

const USAGE = `Usage: npm run live:add -- <table> --scope <column> [--audience <column>] [--scope-check 'fn(type)'] [--force]`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      scope: { type: 'string' },
      audience: { type: 'string' },
      'scope-check': { type: 'string' },
      types: { type: 'string', default: 'lib/database.types.ts' },
      'lib-dir': { type: 'string', default: 'lib' },
      'migrations-dir': { type: 'string', default: 'supabase/migrations' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [table] = positionals;
  if (!table || !values.scope) throw new Error(USAGE);
  const written = await liveAdd({
    table,
    scope: values.scope,
    audience: values.audience,
    scopeCheck: values['scope-check'],
    typesFile: values.types!,
    libDir: values['lib-dir']!,
    migrationsDir: values['migrations-dir']!,
    force: values.force,
  });
  console.log(`Wrote\n${written.map((f) => `  ${f}`).join('\n')}`);
  console.log(
    'Next: restart the stack (npm run dev applies the migration), then npm run db:types. Use the hooks from lib/' +
      `${table}/hooks.ts and prefetch with ${names(table).camel}Table.listQuery on the server (README, "Add a live table").`,
  );
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('live-add.ts')) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
