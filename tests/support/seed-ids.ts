// Fixed ids from supabase/seed.sql, shared by every kind of test.
export const DEPOT = {
  north: 'd0000000-0000-4000-8000-000000000001',
  south: 'd0000000-0000-4000-8000-000000000002',
} as const;

export const USER = {
  dispatcherNorth: 'a0000000-0000-4000-8000-000000000001',
  dispatcherSouth: 'a0000000-0000-4000-8000-000000000002',
  dispatcherHq: 'a0000000-0000-4000-8000-000000000003',
  driverNorth1: 'a0000000-0000-4000-8000-000000000011',
  driverNorth2: 'a0000000-0000-4000-8000-000000000012',
  driverSouth1: 'a0000000-0000-4000-8000-000000000021',
} as const;
