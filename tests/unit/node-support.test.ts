// The one Node.js support statement, and the filter for supabase-js's repeated notice.
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import {
  isSupportedNode,
  MINIMUM_NODE,
  nodeSupportNote,
  withoutSupabaseNodeNotice,
} from '../../scripts/node-support.mjs';

const NOTICE =
  '⚠️  Node.js 20 and below are deprecated and will no longer be supported in future versions of @supabase/supabase-js. Please upgrade to Node.js 22 or later.';

describe('Node.js support', () => {
  it('agrees with package.json engines', async () => {
    const pkg = (await import('../../package.json', { with: { type: 'json' } })).default as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toBe(`>=${MINIMUM_NODE}`);
  });

  it('supports 20.9 and newer, says why the supabase-js notice appears on 20, and refuses older', () => {
    expect(isSupportedNode('v20.9.0')).toBe(true);
    expect(isSupportedNode('v20.8.1')).toBe(false);
    expect(isSupportedNode('v18.20.0')).toBe(false);
    expect(isSupportedNode('v22.1.0')).toBe(true);
    expect(nodeSupportNote('v20.20.2')).toMatch(/^Node\.js v20\.20\.2: supported \(20\.9\.0\+; 22 LTS recommended/);
    expect(nodeSupportNote('v20.20.2')).toContain('Node.js 20 and below are deprecated');
    expect(nodeSupportNote('v22.12.0')).toBe('Node.js v22.12.0: supported (20.9.0+).');
    expect(nodeSupportNote('v18.20.0')).toMatch(/^✗ Node\.js v18\.20\.0 is too old/);
  });

  it('drops every copy of the supabase-js notice from a child’s output and keeps everything else', async () => {
    const filter = withoutSupabaseNodeNotice();
    // Split mid-line, as pipes deliver it.
    const output = [`[next] ready\n[next] ${NOTICE.slice(0, 30)}`, `${NOTICE.slice(30)}\n[next] GET /board 200\n`];
    output.push(`[next] ${NOTICE}\n`, 'last line without newline');
    const result = await text(Readable.from(output).pipe(filter));
    expect(result).toBe('[next] ready\n[next] GET /board 200\nlast line without newline');
  });
});
