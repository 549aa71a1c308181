// npm run live:add names its migration so it runs after every existing one.
import { describe, expect, it } from 'vitest';
import { nextMigrationVersion } from '../../scripts/live-add';

describe('nextMigrationVersion', () => {
  const now = new Date('2026-11-30T17:20:26Z');
  it('is the current UTC time, as the Supabase CLI writes it, when that sorts last', () => {
    expect(nextMigrationVersion(now, ['20261128000100_domain_schema.sql', 'README.md'])).toBe('20261130172026');
    expect(nextMigrationVersion(now, [])).toBe('20261130172026');
  });
  it('is one second after the latest migration when that is dated later (a clock behind, migrations dated ahead)', () => {
    expect(
      nextMigrationVersion(now, ['20261201000100_live_schema.sql', '20261205000100_dead_letters.sql', 'x.sql']),
    ).toBe('20261205000101');
    expect(nextMigrationVersion(now, ['20261231235959_last.sql'])).toBe('20270101000000');
    expect(nextMigrationVersion(now, ['20261130172026_same_second.sql'])).toBe('20261130172027');
  });
});
