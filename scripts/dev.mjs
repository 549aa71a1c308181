// npm run dev: the dev stack and the Next.js dev server together, with prefixed
// logs. Next starts once the stack's API gateway answers; Ctrl-C stops both.
import concurrently from 'concurrently';
import { isSupportedNode, nodeSupportNote, withoutSupabaseNodeNotice } from './node-support.mjs';

// Which Node versions work, said once (supabase-js would say its part in every process).
console.log(nodeSupportNote());
if (!isSupportedNode()) process.exit(1);

// The same variable the dev stack reads (its default is the Supabase CLI's port).
const apiPort = process.env.DEVSTACK_API_PORT || '54321';

const output = withoutSupabaseNodeNotice();
output.pipe(process.stdout);

const { result } = concurrently(
  [
    { command: 'npm run --silent stack', name: 'stack', prefixColor: 'cyan' },
    {
      // Wait for the API gateway (up once the database is migrated) before starting Next.
      command: `node scripts/wait-for-port.mjs ${apiPort} && next dev`,
      name: 'next',
      prefixColor: 'magenta',
      env: { NEXT_TELEMETRY_DISABLED: '1' },
    },
  ],
  {
    killOthersOn: ['failure', 'success'],
    killSignal: 'SIGTERM',
    prefix: '[{name}]',
    timestampFormat: 'HH:mm:ss',
    outputStream: output,
  },
);

result.then(
  () => process.exit(0),
  (events) => {
    const failed = events.filter((e) => e.exitCode !== 0 && !e.killed);
    process.exit(failed.length > 0 ? 1 : 0);
  },
);
