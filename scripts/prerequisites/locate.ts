// Where the tools the tests need outside npm are on this machine: a Chromium
// for the browser tests and PostgreSQL 15's server binaries for the database
// suite's second run. Pure lookups over a description of the machine, so the
// set-up step can be tested with everything hidden.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** What the lookups may look at. `fromProcess()` describes the running machine. */
export interface Machine {
  env: Readonly<Record<string, string | undefined>>;
  /** Running as root (may install system packages). */
  isRoot: boolean;
  /** /etc/os-release's ID and ID_LIKE, lower case; empty when unknown. */
  osIds: string[];
  /** Where Debian's postgresql-15 package puts its server binaries. */
  debianPg15Bin: string;
  /** Where Playwright's own Chromium would be (`npx playwright install chromium`). */
  playwrightChromium: string;
}

export type ToolName = 'chromium' | 'postgresql-15';

export type Lookup =
  | { tool: ToolName; found: true; path: string; source: string }
  | {
      tool: ToolName;
      found: false;
      /** What was looked at, for the message. */
      looked: string;
      /** An override variable names something that is not there: fix the variable, installing would not help. */
      badOverride?: string;
    };

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable called `name` in the PATH of `env`, or null. */
export function onPath(env: Machine['env'], name: string): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/** CHROMIUM_PATH, else `chromium` on PATH (Debian's package), else Playwright's own Chromium. */
export function locateChromium(machine: Machine): Lookup {
  const tool = 'chromium';
  const override = machine.env.CHROMIUM_PATH?.trim();
  if (override) {
    if (isExecutable(override)) return { tool, found: true, path: override, source: 'CHROMIUM_PATH' };
    return {
      tool,
      found: false,
      looked: `CHROMIUM_PATH=${override}`,
      badOverride: `CHROMIUM_PATH=${override} is not an executable file`,
    };
  }
  for (const name of ['chromium', 'chromium-browser']) {
    const found = onPath(machine.env, name);
    if (found) return { tool, found: true, path: found, source: `${name} on PATH` };
  }
  if (isExecutable(machine.playwrightChromium))
    return { tool, found: true, path: machine.playwrightChromium, source: "Playwright's Chromium" };
  return {
    tool,
    found: false,
    looked: `CHROMIUM_PATH unset, no chromium on PATH, no Playwright Chromium at ${machine.playwrightChromium}`,
  };
}

const hasServerBinaries = (dir: string) =>
  isExecutable(path.join(dir, 'initdb')) && isExecutable(path.join(dir, 'postgres'));

/** The major version `initdb --version` reports, or null. */
function initdbMajor(initdb: string): number | null {
  try {
    const out = execFileSync(initdb, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    const match = /\b(\d+)(?:\.\d+)+/.exec(out);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** PG15_BIN, else Debian's /usr/lib/postgresql/15/bin, else a PostgreSQL 15 initdb on PATH. */
export function locatePg15(machine: Machine): Lookup {
  const tool = 'postgresql-15';
  const override = machine.env.PG15_BIN?.trim();
  if (override) {
    if (hasServerBinaries(override)) return { tool, found: true, path: override, source: 'PG15_BIN' };
    return {
      tool,
      found: false,
      looked: `PG15_BIN=${override}`,
      badOverride: `PG15_BIN=${override} has no initdb and postgres`,
    };
  }
  if (hasServerBinaries(machine.debianPg15Bin))
    return { tool, found: true, path: machine.debianPg15Bin, source: "Debian's postgresql-15" };
  const initdb = onPath(machine.env, 'initdb');
  if (initdb && initdbMajor(initdb) === 15 && hasServerBinaries(path.dirname(initdb)))
    return { tool, found: true, path: path.dirname(initdb), source: 'initdb 15 on PATH' };
  return {
    tool,
    found: false,
    looked: `PG15_BIN unset, nothing in ${machine.debianPg15Bin}, no PostgreSQL 15 initdb on PATH`,
  };
}

/** /etc/os-release's ID and ID_LIKE (e.g. ['debian'] or ['ubuntu', 'debian']). */
export function readOsIds(file = '/etc/os-release'): string[] {
  if (!existsSync(file)) return [];
  const ids: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^(ID|ID_LIKE)=(.*)$/.exec(line.trim());
    if (match) ids.push(...match[2].replace(/["']/g, '').toLowerCase().split(/\s+/).filter(Boolean));
  }
  return ids;
}
