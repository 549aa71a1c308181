// The app's copy of the status graph (lib/shipments/status.ts) must match the
// database's, which is the one enforced.
import { afterAll, describe, expect, it } from 'vitest';
import { DRIVER_SETTABLE, NEXT_STATUSES, nextDriverStatus } from '../../lib/shipments/status';
import { SHIPMENT_STATUSES } from '../../lib/shipments/schema';
import { connect } from '../support/db';

const sql = connect(1);
afterAll(() => sql.end());

describe('status graph', () => {
  it('NEXT_STATUSES equals public.allowed_next_statuses for every status', async () => {
    const rows = await sql<{ status: string; next: string[] }[]>`
      select s::text as status, public.allowed_next_statuses(s)::text[] as next
      from unnest(enum_range(null::public.shipment_status)) s`;
    expect(rows.map((r) => r.status)).toEqual([...SHIPMENT_STATUSES]);
    for (const row of rows)
      expect([row.status, [...row.next].sort()]).toEqual([
        row.status,
        [...NEXT_STATUSES[row.status as keyof typeof NEXT_STATUSES]].sort(),
      ]);
  });

  it('DRIVER_SETTABLE equals public.driver_settable_statuses and the button only offers legal steps', async () => {
    const [{ statuses }] = await sql<
      { statuses: string[] }[]
    >`select public.driver_settable_statuses()::text[] as statuses`;
    expect([...statuses].sort()).toEqual([...DRIVER_SETTABLE].sort());
    for (const status of SHIPMENT_STATUSES) {
      const next = nextDriverStatus(status);
      if (next) {
        expect(NEXT_STATUSES[status]).toContain(next);
        expect(DRIVER_SETTABLE).toContain(next);
      }
    }
  });
});
