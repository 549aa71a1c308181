// The first step of `npm test`: make sure the tools from outside npm are there
// (a Chromium, PostgreSQL 15), get what is missing the way this machine
// allows, and otherwise stop before anything runs with one message that says
// what to install and how.
//
//   node --import tsx scripts/prerequisites/index.ts [chromium] [postgresql-15]
//
// Installs: as root on Debian, Debian's `chromium` and `postgresql-15` with
// apt-get; Chromium elsewhere with Playwright's installer (`--with-deps` as root
// on Ubuntu, whose chromium package is a snap stub that does not run in
// containers). CHROMIUM_PATH and PG15_BIN win over everything;
// SWITCHBOARD_NO_INSTALL=1 only checks.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { locateChromium, locatePg15, onPath, readOsIds, type Lookup, type Machine, type ToolName } from './locate';

export type { Lookup, Machine, ToolName } from './locate';

const LABEL: Record<ToolName, string> = {
  chromium: 'Chromium (browser tests)',
  'postgresql-15': 'PostgreSQL 15 (the database suite on a second major version)',
};

const HOW_TO: Record<ToolName, string> = {
  chromium:
    'Debian: apt-get install chromium · elsewhere: npx playwright install chromium (Ubuntu as root: add --with-deps) · or point CHROMIUM_PATH at a Chromium or Chrome executable',
  'postgresql-15':
    'Debian/Ubuntu: apt-get install postgresql-15 (Ubuntu: from apt.postgresql.org) · macOS: brew install postgresql@15, then PG15_BIN=$(brew --prefix postgresql@15)/bin · or point PG15_BIN at a folder with initdb and postgres',
};

/** The running machine, as the lookups see it. */
export function fromProcess(env: Machine['env'] = process.env): Machine {
  let playwrightChromium = '';
  try {
    const require = createRequire(import.meta.url);
    const { chromium } = require('@playwright/test') as typeof import('@playwright/test');
    playwrightChromium = chromium.executablePath();
  } catch {
    // Playwright not installed (npm ci not run): then only the other places count.
  }
  return {
    env,
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    osIds: readOsIds(),
    debianPg15Bin: '/usr/lib/postgresql/15/bin',
    playwrightChromium,
  };
}

export interface InstallStep {
  label: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

export interface InstallPlan {
  steps: InstallStep[];
  /** Missing tools no step can provide, and why. */
  unavailable: { tool: ToolName; why: string }[];
}

const truthy = (value: string | undefined) => value !== undefined && !['', '0', 'false', 'no'].includes(value);

/** How this machine can get the missing tools (nothing is run here). */
export function planInstall(machine: Machine, missing: ToolName[]): InstallPlan {
  const plan: InstallPlan = { steps: [], unavailable: [] };
  if (missing.length === 0) return plan;
  if (truthy(machine.env.SWITCHBOARD_NO_INSTALL)) {
    for (const tool of missing) plan.unavailable.push({ tool, why: 'SWITCHBOARD_NO_INSTALL is set' });
    return plan;
  }
  const debianFamily = machine.osIds.includes('debian') || machine.osIds.includes('ubuntu');
  const ubuntu = machine.osIds.includes('ubuntu');
  const aptGet = machine.isRoot && debianFamily ? onPath(machine.env, 'apt-get') : null;
  const whyNoApt = !debianFamily
    ? 'not a Debian or Ubuntu machine'
    : !machine.isRoot
      ? 'not running as root'
      : 'apt-get is not on PATH';

  const packages: string[] = [];
  if (missing.includes('chromium')) {
    if (aptGet && !ubuntu) packages.push('chromium');
    else {
      const cli = playwrightCli();
      if (cli)
        plan.steps.push({
          label: `Playwright's installer: playwright install chromium${aptGet ? ' --with-deps' : ''}`,
          command: process.execPath,
          args: [cli, 'install', 'chromium', ...(aptGet ? ['--with-deps'] : [])],
        });
      else plan.unavailable.push({ tool: 'chromium', why: `${whyNoApt}, and Playwright is not installed (npm ci)` });
    }
  }
  if (missing.includes('postgresql-15')) {
    if (aptGet) packages.push('postgresql-15');
    else plan.unavailable.push({ tool: 'postgresql-15', why: whyNoApt });
  }
  if (aptGet && packages.length > 0) {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    plan.steps.unshift(
      { label: 'apt-get update', command: aptGet, args: ['update', '-qq'], env },
      {
        label: `apt-get install ${packages.join(' ')}`,
        command: aptGet,
        args: ['install', '-y', '-qq', '--no-install-recommends', ...packages],
        env,
      },
    );
  }
  return plan;
}

function playwrightCli(): string | null {
  try {
    const cli = createRequire(import.meta.url).resolve('@playwright/test/cli');
    return existsSync(cli) ? cli : null;
  } catch {
    return null;
  }
}

/** One message for everything that is missing: what, where it was looked for, how to get it. */
export function missingMessage(lookups: Lookup[], notInstalled: Map<ToolName, string>): string {
  const lines = ['npm test needs tools that are not on this machine, and could not get them:'];
  for (const lookup of lookups) {
    if (lookup.found) continue;
    lines.push(`  ✗ ${LABEL[lookup.tool]}: ${lookup.badOverride ?? `not found (${lookup.looked})`}`);
    const why = notInstalled.get(lookup.tool);
    if (why) lines.push(`      not installed automatically: ${why}`);
    lines.push(`      get it: ${HOW_TO[lookup.tool]}`);
  }
  lines.push('Nothing was run. Install the above (or set the variables), then run npm test again.');
  return lines.join('\n');
}

function locate(machine: Machine, tool: ToolName): Lookup {
  return tool === 'chromium' ? locateChromium(machine) : locatePg15(machine);
}

function runStep(step: InstallStep, env: Machine['env']): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const childEnv = { ...env, ...step.env } as NodeJS.ProcessEnv;
    const child = spawn(step.command, step.args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (err) => resolve({ ok: false, output: err.message }));
    child.once('exit', (code) => resolve({ ok: code === 0, output }));
  });
}

const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

export type PrerequisiteResult = { ok: true; chromium?: string; pg15Bin?: string } | { ok: false; message: string };

/**
 * Finds each tool, installs what is missing where the machine allows, and
 * reports every step with its duration through `say`. Resolves with the paths
 * to use (CHROMIUM_PATH / PG15_BIN for the rest of the run), or with the one
 * message to stop on.
 */
export async function ensurePrerequisites(
  tools: ToolName[],
  machine: Machine = fromProcess(),
  say: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<PrerequisiteResult> {
  const timedLocate = (tool: ToolName) => {
    const started = performance.now();
    const lookup = locate(machine, tool);
    const took = seconds(performance.now() - started);
    if (lookup.found) say(`  ✓ ${LABEL[tool]}: ${lookup.path} (${lookup.source}) [${took}]`);
    else say(`  · ${LABEL[tool]}: ${lookup.badOverride ?? 'not found'} [${took}]`);
    return lookup;
  };
  let lookups = tools.map(timedLocate);
  const missing = lookups.filter((l) => !l.found && !l.badOverride).map((l) => l.tool);
  const notInstalled = new Map<ToolName, string>();
  const plan = planInstall(machine, missing);
  for (const { tool, why } of plan.unavailable) notInstalled.set(tool, why);
  if (plan.steps.length > 0) {
    for (const step of plan.steps) {
      say(`  … ${step.label}`);
      const started = performance.now();
      const result = await runStep(step, machine.env);
      const took = seconds(performance.now() - started);
      if (!result.ok) {
        say(`  ✗ ${step.label} failed [${took}]`);
        // The last lines that say something (not a stack trace's "at …" lines).
        const said = result.output.split('\n').filter((l) => l.trim() && !/^\s*at /.test(l));
        const tail = said.slice(-2).join(' / ').trim();
        for (const tool of missing)
          if (!notInstalled.has(tool)) notInstalled.set(tool, `${step.label} failed: ${tail || 'no output'}`);
        break;
      }
      say(`  ✓ ${step.label} [${took}]`);
    }
    lookups = tools.map((tool) => (missing.includes(tool) ? timedLocate(tool) : lookups[tools.indexOf(tool)]));
  }
  if (lookups.some((l) => !l.found)) return { ok: false, message: missingMessage(lookups, notInstalled) };
  const pathOf = (tool: ToolName) => {
    const lookup = lookups.find((l) => l.tool === tool);
    return lookup?.found ? lookup.path : undefined;
  };
  return { ok: true, chromium: pathOf('chromium'), pg15Bin: pathOf('postgresql-15') };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const known: ToolName[] = ['chromium', 'postgresql-15'];
  const unknown = args.filter((a) => !known.includes(a as ToolName));
  if (unknown.length > 0) {
    process.stderr.write(`Unknown tool: ${unknown.join(', ')} (known: ${known.join(', ')})\n`);
    process.exit(2);
  }
  const tools = args.length > 0 ? (args as ToolName[]) : known;
  process.stdout.write(`▶ What the tests need outside npm (${os.platform()}, Node ${process.version})\n`);
  const result = await ensurePrerequisites(tools);
  if (!result.ok) {
    process.stderr.write(`\n${result.message}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
