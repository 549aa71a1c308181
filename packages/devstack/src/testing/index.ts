// Helpers for tests that run against a private dev stack started by
// `@switchboard/devstack/testing/global-setup` (vitest's globalSetup): the
// stack's coordinates, supabase-js realtime clients over real sockets, tokens,
// and Prometheus text parsing for /metrics assertions.
export type { StackInfo } from './stack-info';
export * from './realtime';
export * from './prometheus-text';
