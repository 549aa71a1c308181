// A private dev stack for benchmarks: embedded Postgres and the API gateway on
// free ports, exactly as `npm run stack` wires them, removed on stop.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApi, type RunningApi } from '@switchboard/devstack';
import { readTestKeys } from '@switchboard/devstack';
import { freePort } from '@switchboard/devstack';
import { startStack, type RunningStack } from '@switchboard/devstack';

export interface BenchStack {
  stack: RunningStack;
  api: RunningApi;
  stop(): Promise<void>;
}

export async function startBenchStack(env: NodeJS.ProcessEnv = process.env): Promise<BenchStack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-bench-'));
  // Postgres runs as the OS user "postgres" when we are root: it must be able to enter the folder.
  await chmod(dir, 0o755);
  const stack = await startStack({ dbPort: await freePort(), dataDir: path.join(dir, 'pg'), ephemeral: true });
  const api = await startApi({ dbUrl: stack.dbUrl, port: await freePort(), keys: await readTestKeys(), env });
  return {
    stack,
    api,
    async stop() {
      await api.close();
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
