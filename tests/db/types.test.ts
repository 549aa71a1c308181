// lib/database.types.ts must be what the current migrations generate.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { generateTypes } from '@switchboard/devstack';

const TYPES_FILE = path.join(import.meta.dirname, '..', '..', 'lib', 'database.types.ts');

describe('generated database types', () => {
  it('lib/database.types.ts is up to date with supabase/migrations (run npm run db:types)', async () => {
    const generated = await generateTypes(inject('stack').dbUrl);
    const committed = await readFile(TYPES_FILE, 'utf8');
    expect(generated.includes('shipment_status')).toBe(true);
    expect(committed, 'lib/database.types.ts is stale: run "npm run db:types" with the dev stack running').toBe(
      generated,
    );
  });
});
