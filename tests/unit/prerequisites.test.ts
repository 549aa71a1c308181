// The first step of npm test (scripts/prerequisites): with the tools hidden it
// says what is missing and how to get it, before anything runs; with an
// override it uses what it is given; where it may install, it installs.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePrerequisites, planInstall, type Machine } from '../../scripts/prerequisites';
import { locateChromium, locatePg15 } from '../../scripts/prerequisites/locate';

const root = path.resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'switchboard-prereq-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** An empty folder: PATH, the overrides and the usual places all point at nothing. */
function emptyDir(name: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function executable(file: string, body = 'exit 0'): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** A machine on which nothing is installed (every place is an empty folder). */
function bareMachine(overrides: Partial<Machine> & { env?: Machine['env'] } = {}): Machine {
  const empty = emptyDir('nothing');
  return {
    env: { PATH: empty },
    isRoot: false,
    osIds: ['debian'],
    debianPg15Bin: path.join(empty, 'pg15'),
    playwrightChromium: path.join(empty, 'chrome'),
    ...overrides,
  };
}

describe('locating the tools', () => {
  it('reports each tool missing, with the places it looked, when everything is hidden', () => {
    const machine = bareMachine();
    expect(locateChromium(machine)).toMatchObject({
      found: false,
      looked: expect.stringContaining('no chromium on PATH'),
    });
    expect(locatePg15(machine)).toMatchObject({ found: false, looked: expect.stringContaining('PG15_BIN unset') });
  });

  it('uses CHROMIUM_PATH and PG15_BIN when given, over anything on PATH', () => {
    const chromium = executable(path.join(scratch, 'given/my-chromium'));
    const pg = path.dirname(executable(path.join(scratch, 'given/pg/initdb')));
    executable(path.join(pg, 'postgres'));
    const onPath = emptyDir('path-with-chromium');
    executable(path.join(onPath, 'chromium'));
    const machine = bareMachine({ env: { PATH: onPath, CHROMIUM_PATH: chromium, PG15_BIN: pg } });
    expect(locateChromium(machine)).toEqual({ tool: 'chromium', found: true, path: chromium, source: 'CHROMIUM_PATH' });
    expect(locatePg15(machine)).toEqual({ tool: 'postgresql-15', found: true, path: pg, source: 'PG15_BIN' });
  });

  it('finds chromium on PATH and Debian’s PostgreSQL 15 folder without overrides', () => {
    const bin = emptyDir('path-bin');
    const chromium = executable(path.join(bin, 'chromium'));
    const debianPg = path.dirname(executable(path.join(scratch, 'debian/pg15/initdb')));
    executable(path.join(debianPg, 'postgres'));
    const machine = bareMachine({ env: { PATH: bin }, debianPg15Bin: debianPg });
    expect(locateChromium(machine)).toMatchObject({ found: true, path: chromium, source: 'chromium on PATH' });
    expect(locatePg15(machine)).toMatchObject({ found: true, path: debianPg });
  });

  it('treats an override that names nothing as a mistake to fix, not something to install', () => {
    const empty = emptyDir('bad-override');
    const machine = bareMachine({ env: { PATH: empty, CHROMIUM_PATH: path.join(empty, 'chromium'), PG15_BIN: empty } });
    expect(locateChromium(machine)).toMatchObject({
      found: false,
      badOverride: expect.stringMatching(/^CHROMIUM_PATH=/),
    });
    expect(locatePg15(machine)).toMatchObject({
      found: false,
      badOverride: `PG15_BIN=${empty} has no initdb and postgres`,
    });
  });
});

describe('getting what is missing', () => {
  const both = ['chromium', 'postgresql-15'] as const;

  it('as root on Debian: Debian’s packages with apt-get', () => {
    const bin = emptyDir('apt');
    const aptGet = executable(path.join(bin, 'apt-get'));
    const plan = planInstall(bareMachine({ env: { PATH: bin }, isRoot: true }), [...both]);
    expect(plan.unavailable).toEqual([]);
    expect(plan.steps.map((s) => [s.command, ...s.args].join(' '))).toEqual([
      `${aptGet} update -qq`,
      `${aptGet} install -y -qq --no-install-recommends chromium postgresql-15`,
    ]);
  });

  it('as root on Ubuntu: Playwright’s Chromium with its system dependencies, PostgreSQL 15 from apt', () => {
    const bin = emptyDir('apt-ubuntu');
    executable(path.join(bin, 'apt-get'));
    const plan = planInstall(bareMachine({ env: { PATH: bin }, isRoot: true, osIds: ['ubuntu', 'debian'] }), [...both]);
    expect(plan.steps.map((s) => s.label)).toEqual([
      'apt-get update',
      'apt-get install postgresql-15',
      "Playwright's installer: playwright install chromium --with-deps",
    ]);
  });

  it('without root: Playwright’s installer for Chromium; PostgreSQL 15 cannot be installed, and says why', () => {
    const plan = planInstall(bareMachine(), [...both]);
    expect(plan.steps.map((s) => s.args.slice(1).join(' '))).toEqual(['install chromium']);
    expect(plan.unavailable).toEqual([{ tool: 'postgresql-15', why: 'not running as root' }]);
  });

  it('with SWITCHBOARD_NO_INSTALL=1: installs nothing', () => {
    const bin = emptyDir('apt-no-install');
    executable(path.join(bin, 'apt-get'));
    const plan = planInstall(bareMachine({ env: { PATH: bin, SWITCHBOARD_NO_INSTALL: '1' }, isRoot: true }), [...both]);
    expect(plan.steps).toEqual([]);
    expect(plan.unavailable.map((u) => u.why)).toEqual([
      'SWITCHBOARD_NO_INSTALL is set',
      'SWITCHBOARD_NO_INSTALL is set',
    ]);
  });

  it('runs the install, says each step with its duration, then uses what it installed', async () => {
    // A stand-in apt-get that "installs" by creating the files where Debian's packages put them.
    const fake = emptyDir('fake-debian');
    const bin = path.join(fake, 'bin');
    const pg = path.join(fake, 'usr/lib/postgresql/15/bin');
    const tool = (file: string) => `printf '#!/bin/sh\\n' > ${file}; /bin/chmod 755 ${file}`;
    executable(
      path.join(bin, 'apt-get'),
      `[ "$1" = install ] || exit 0\n/bin/mkdir -p ${pg}\n${tool(path.join(bin, 'chromium'))}\n${tool(path.join(pg, 'initdb'))}\n${tool(path.join(pg, 'postgres'))}`,
    );
    const said: string[] = [];
    const result = await ensurePrerequisites(
      [...both],
      bareMachine({ env: { PATH: bin }, isRoot: true, debianPg15Bin: pg }),
      (line) => said.push(line),
    );
    expect(result).toEqual({ ok: true, chromium: path.join(bin, 'chromium'), pg15Bin: pg });
    expect(said.join('\n')).toMatch(/✓ apt-get install chromium postgresql-15 \[\d+ ms\]/);
    expect(said.filter((l) => l.includes('✓ Chromium'))).toHaveLength(1);
  });

  it('reports a failed install with its reason and what to do, in one message', async () => {
    const bin = emptyDir('failing-apt');
    executable(path.join(bin, 'apt-get'), 'echo "E: Unable to locate package postgresql-15" >&2; exit 100');
    const result = await ensurePrerequisites(
      ['postgresql-15'],
      bareMachine({ env: { PATH: bin }, isRoot: true }),
      () => {},
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain('apt-get update failed: E: Unable to locate package postgresql-15');
    expect(result.message).toContain('apt-get install postgresql-15');
  });
});

describe('the set-up step as npm test runs it', () => {
  const cli = path.join(root, 'scripts/prerequisites/index.ts');
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', cli], {
      cwd: root,
      encoding: 'utf8',
      // Nothing from this shell: PATH and the overrides are exactly what the test gives.
      env: { HOME: os.homedir(), NODE_ENV: 'test', ...env },
    });

  it('with the tools hidden, stops with one message naming each missing tool and how to get it', () => {
    const empty = emptyDir('cli-hidden');
    const result = run({
      PATH: empty,
      CHROMIUM_PATH: path.join(empty, 'chromium'),
      PG15_BIN: empty,
      PLAYWRIGHT_BROWSERS_PATH: empty,
      SWITCHBOARD_NO_INSTALL: '1',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('npm test needs tools that are not on this machine');
    expect(result.stderr).toContain(
      `Chromium (browser tests): CHROMIUM_PATH=${path.join(empty, 'chromium')} is not an executable file`,
    );
    expect(result.stderr).toContain(
      `PostgreSQL 15 (the database suite on a second major version): PG15_BIN=${empty} has no initdb`,
    );
    expect(result.stderr).toMatch(/get it: Debian: apt-get install chromium/);
    expect(result.stderr).toMatch(/get it: Debian\/Ubuntu: apt-get install postgresql-15/);
    expect(result.stderr).toContain('Nothing was run.');
  });

  it('with overrides, uses what it is given and says so', () => {
    const empty = emptyDir('cli-given');
    const chromium = executable(path.join(scratch, 'cli-given-tools/chromium'));
    const pg = path.dirname(executable(path.join(scratch, 'cli-given-tools/pg/initdb')));
    executable(path.join(pg, 'postgres'));
    const result = run({ PATH: empty, CHROMIUM_PATH: chromium, PG15_BIN: pg, PLAYWRIGHT_BROWSERS_PATH: empty });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`✓ Chromium (browser tests): ${chromium} (CHROMIUM_PATH)`);
    expect(result.stdout).toContain(`: ${pg} (PG15_BIN)`);
  });
});
