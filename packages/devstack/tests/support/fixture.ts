// The dev stack's tests run against the starter's own Supabase project
// (supabase/migrations and seed.sql at the repository root) as their fixture:
// it is the schema the emulator has to serve. This module is the one place where
// they reach into it, for the seed's fixed ids and the RLS impersonation helpers.
export * from '../../../../tests/support/db';
