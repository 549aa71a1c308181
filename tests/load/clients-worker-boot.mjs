// Worker entry: registers tsx in this thread (module hooks of the parent do not
// reach workers on every Node 20 release, nor under vitest), then loads the
// TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./clients-worker.ts');
