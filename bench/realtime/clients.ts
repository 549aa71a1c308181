// The benchmark's raw WebSocket subscribers live in a worker thread
// (clients-worker.mjs), so their parsing never competes with the stack's main
// thread for the measurement; this is the request/reply channel to it.
import { Worker } from 'node:worker_threads';

/** A worker holding the subscribers; `call` sends one command and resolves with its reply (rejects on `error`). */
export class Clients {
  private worker = new Worker(new URL('./clients-worker.mjs', import.meta.url));
  private next = 0;
  call<T = { ok: true }>(msg: Record<string, unknown>): Promise<T> {
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      const onMessage = (reply: { id: number; error?: string } & T) => {
        if (reply.id !== id) return;
        this.worker.off('message', onMessage);
        if (reply.error) reject(new Error(reply.error));
        else resolve(reply);
      };
      this.worker.on('message', onMessage);
      this.worker.postMessage({ ...msg, id });
    });
  }
  stop() {
    return this.worker.terminate();
  }
}
