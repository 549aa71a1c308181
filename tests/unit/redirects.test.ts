// The sign-in redirect target (`/login?next=…`): only paths on this site survive.
import { describe, expect, it } from 'vitest';
import { safeRedirectPath } from '../../lib/security/redirects';

describe('safeRedirectPath', () => {
  it('keeps same-origin paths with their query and fragment', () => {
    expect(safeRedirectPath('/board')).toBe('/board');
    expect(safeRedirectPath('/board/7d1c?status=pending&q=a%20b#card-1')).toBe(
      '/board/7d1c?status=pending&q=a%20b#card-1',
    );
    expect(safeRedirectPath('/driver/')).toBe('/driver/');
    // Dot segments are resolved the way the browser will resolve them.
    expect(safeRedirectPath('/board/../driver')).toBe('/driver');
    expect(safeRedirectPath('/a%2Fb')).toBe('/a%2Fb');
  });

  // Every form below reached another origin through some browser or server
  // parser at some point; each must be refused, never "repaired".
  const bypasses: Record<string, string[]> = {
    'protocol-relative': ['//example.org', '//example.org/path', '///example.org', '////example.org'],
    'backslash as slash': [
      '/\\example.org/',
      '/\\/example.org',
      '\\\\example.org',
      '\\/example.org',
      '/\\\\example.org',
    ],
    'encoded backslash': ['/%5Cexample.org', '/%5cexample.org/', '/%5C%5Cexample.org', '/%255Cexample.org'],
    'tab, newline and other whitespace': [
      '/\t/example.org',
      '/%09/example.org',
      '/%0a/example.org',
      '/%0D%0A/example.org',
      '/%2509/example.org',
      '/ /example.org',
      '/%20/example.org',
      '/%E2%80%A8/example.org',
      '/\u3000/example.org',
    ],
    'encoded slashes at the start': [
      '/%2Fexample.org',
      '/%2F%2Fexample.org',
      '%2F%2Fexample.org',
      '/%252F/example.org',
    ],
    'absolute URLs': ['https://example.org', 'http://example.org/board', 'HTTPS://example.org', 'https:example.org'],
    'other schemes': [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      ' javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox',
    ],
    'relative without a leading slash': ['example.org', 'board', './board', '../board', '?next=/x', '#x'],
    'dot segments that normalize to //host': ['/.//example.org', '/./\\example.org', '/x/..//example.org'],
    'mixed forms': [
      '/%5C/example.org',
      '/\\%2Fexample.org',
      '/%09%5Cexample.org',
      '/%2F\\example.org',
      '/%5C%09/example.org',
    ],
    'malformed escapes and oversize values': ['/%E0%A4%A', '/%', `/${'a'.repeat(3000)}`],
  };

  for (const [kind, values] of Object.entries(bypasses)) {
    it(`refuses ${kind}`, () => {
      for (const value of values) expect(safeRedirectPath(value), JSON.stringify(value)).toBeNull();
    });
  }

  it('refuses what is not a string (repeated query parameters arrive as arrays)', () => {
    for (const value of [undefined, null, 42, ['/board', '//example.org'], { href: '/board' }, ''])
      expect(safeRedirectPath(value)).toBeNull();
  });

  it('never returns a value that a browser resolves to another origin', () => {
    const base = 'https://switchboard.example';
    const accepted = Object.values(bypasses)
      .flat()
      .concat(['/board', '/x/..//y', '/%2e%2e//example.org', '/%2e/%2Fexample.org'])
      .map((value) => safeRedirectPath(value))
      .filter((path): path is string => path !== null);
    for (const path of accepted) expect(new URL(path, base).origin, path).toBe(base);
  });
});
