'use client';

import type { WriteQueueState } from '@/lib/live/write-queue';

interface Props {
  /** Actions waiting on the phone. */
  count: number;
  state: WriteQueueState;
  /** Kept across closing the tab (IndexedDB), or in memory only. */
  durable: boolean;
  problem: string | null;
  nextAttemptAt: number | null;
}

const actions = (n: number) => (n === 1 ? '1 action is' : `${n} actions are`);

/** Why actions wait on the phone, and what happens to them. Nothing when none wait for the network. */
export function QueueBanner({ count, state, durable, problem, nextAttemptAt }: Props) {
  if (count === 0 || (state !== 'offline' && state !== 'signed-out')) return null;
  const kept = durable
    ? 'saved on this phone, also if you close the app,'
    : 'kept only while this page stays open (this browser does not allow storing them),';
  let text: string;
  if (state === 'signed-out')
    text = `You are signed out. ${actions(count)} ${kept} and will be sent when you sign in again.`;
  else if (problem && problem !== 'This device is offline')
    text = `Cannot reach the server right now${nextAttemptAt ? `; trying again at ${new Date(nextAttemptAt).toLocaleTimeString()}` : ''}. ${actions(count)} ${kept} and will be sent in order.`;
  else text = `You are offline. ${actions(count)} ${kept} and will be sent in order when you are back online.`;
  return (
    <div
      data-testid="queue-banner"
      data-state={state}
      className="rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950 dark:border-amber-800 dark:bg-amber-950/60 dark:text-amber-100"
    >
      <p>{text}</p>
      {state === 'signed-out' && (
        <a href="/login" className="mt-1 inline-block font-semibold underline">
          Sign in
        </a>
      )}
    </div>
  );
}
