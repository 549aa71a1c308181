import { describe, expect, it } from 'vitest';
import { unreadCounts, type Note } from '../../lib/shipments/notes';

const S1 = '00000000-0000-4000-8000-000000000001';
const S2 = '00000000-0000-4000-8000-000000000002';
const ME = '00000000-0000-4000-8000-0000000000aa';
const OTHER = '00000000-0000-4000-8000-0000000000bb';

let n = 0;
function note(shipment: string, author: string, created: string): Note {
  n++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    shipment_id: shipment,
    depot_id: S1,
    driver_id: null,
    author_id: author,
    body: `note ${n}`,
    created_at: created,
    version: 1,
  };
}

describe('unreadCounts', () => {
  it("counts others' notes after the person's read marker, per shipment", () => {
    const notes = [
      note(S1, OTHER, '2026-12-01T10:00:00.000001+00:00'),
      note(S1, OTHER, '2026-12-01T10:05:00+00:00'),
      note(S1, ME, '2026-12-01T10:06:00+00:00'),
      note(S2, OTHER, '2026-12-01T09:00:00+00:00'),
    ];
    const counts = unreadCounts(notes, { [S1]: '2026-12-01T10:01:00+00:00' }, ME);
    expect(Object.fromEntries(counts)).toEqual({ [S1]: 1, [S2]: 1 });
  });

  it('compares instants, not spellings: database times in any offset', () => {
    const notes = [note(S1, OTHER, '2026-12-01T11:00:00+01:00')];
    expect(unreadCounts(notes, { [S1]: '2026-12-01T10:00:00+00:00' }, ME).get(S1)).toBeUndefined();
    expect(unreadCounts(notes, { [S1]: '2026-12-01T09:59:59+00:00' }, ME).get(S1)).toBe(1);
  });
});
