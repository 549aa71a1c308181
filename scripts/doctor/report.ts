// What a doctor check says: pass, warn (worth knowing, not a failure), fail
// (with the fix), or skip (does not apply to this target).

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable id, for tests and --json: 'migrations', 'rls', 'publication', 'partitions', 'outbox', 'key:rest:<n>', … */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found, one or a few lines. */
  detail: string;
  /** What to do about a failure or warning. */
  fix?: string;
}

const MARK: Record<CheckStatus, string> = { pass: '✔', warn: '!', fail: '✘', skip: '–' };

/** One check as printed: mark, title, detail, and the fix indented under it. */
export function formatResult(result: CheckResult): string {
  const lines = [`${MARK[result.status]} ${result.title}: ${result.detail}`];
  if (result.fix && (result.status === 'fail' || result.status === 'warn'))
    for (const [i, line] of result.fix.split('\n').entries()) lines.push(`    ${i === 0 ? 'fix: ' : '     '}${line}`);
  return lines.join('\n');
}

/** The closing line: how many passed, warned, failed, skipped. */
export function summarize(results: CheckResult[]): string {
  const count = (status: CheckStatus) => results.filter((r) => r.status === status).length;
  return `${results.length} checks: ${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed, ${count('skip')} skipped`;
}

/** A connection string with its password hidden, for output. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}
