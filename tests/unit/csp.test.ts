// The Content-Security-Policy proxy.ts sends: strict in production, with the
// two relaxations Next's dev tools need in development.
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../lib/security/csp';

const directives = (policy: string) =>
  Object.fromEntries(policy.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));

describe('contentSecurityPolicy', () => {
  it('in production: scripts and styles only with the request nonce, nothing inline or eval', () => {
    const policy = directives(contentSecurityPolicy('abc123', false));
    expect(policy['script-src']).toBe("'self' 'nonce-abc123' 'strict-dynamic'");
    expect(policy['style-src']).toBe("'self' 'nonce-abc123'");
    expect(policy['object-src']).toBe("'none'");
    expect(policy['frame-ancestors']).toBe("'none'");
    expect(policy['base-uri']).toBe("'self'");
    expect(policy['form-action']).toBe("'self'");
  });

  it('in development: eval for fast refresh, inline styles for the dev tools — without a style nonce, which would void them', () => {
    const policy = directives(contentSecurityPolicy('abc123', true));
    expect(policy['script-src']).toBe("'self' 'nonce-abc123' 'strict-dynamic' 'unsafe-eval'");
    expect(policy['style-src']).toBe("'self' 'unsafe-inline'");
    // Everything else as in production.
    const production = directives(contentSecurityPolicy('abc123', false));
    for (const name of ['default-src', 'img-src', 'font-src', 'connect-src', 'object-src', 'frame-ancestors'])
      expect(policy[name], name).toBe(production[name]);
  });
});
