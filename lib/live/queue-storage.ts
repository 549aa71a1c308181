import { createStore, get, update, type UseStore } from 'idb-keyval';

/**
 * Where a write queue is kept. `update` is an atomic read-modify-write (one
 * IndexedDB readwrite transaction), so tabs of one person never lose each
 * other's writes.
 */
export interface QueueStorage {
  /** Kept across tab closes and restarts (false: in memory only). */
  readonly durable: boolean;
  read(key: string): Promise<unknown>;
  update<T>(key: string, updater: (current: unknown) => T): Promise<T>;
}

/** In memory: tests, and browsers where IndexedDB is unavailable. */
export function memoryQueueStorage(): QueueStorage {
  const values = new Map<string, unknown>();
  return {
    durable: false,
    read: async (key) => values.get(key),
    update: async (key, updater) => {
      const next = updater(values.get(key));
      values.set(key, next);
      return next;
    },
  };
}

let idbStore: UseStore | null = null;

/** IndexedDB (database `switchboard-live`, store `write-queues`) through idb-keyval. */
export function indexedDbQueueStorage(): QueueStorage {
  idbStore ??= createStore('switchboard-live', 'write-queues');
  const store = idbStore;
  return {
    durable: true,
    read: (key) => get(key, store),
    update: async <T>(key: string, updater: (current: unknown) => T) => {
      let next: T | undefined;
      await update(
        key,
        (current) => {
          next = updater(current);
          return next;
        },
        store,
      );
      return next as T;
    },
  };
}

/**
 * IndexedDB when it works here, otherwise memory (some private modes and
 * embedded browsers refuse IndexedDB): check `durable` to tell the person.
 */
export async function openQueueStorage(): Promise<QueueStorage> {
  if (typeof indexedDB === 'undefined') return memoryQueueStorage();
  try {
    const storage = indexedDbQueueStorage();
    await storage.read('__probe__');
    return storage;
  } catch (error) {
    console.warn('[live] IndexedDB is unavailable; queued writes are kept in memory only', error);
    return memoryQueueStorage();
  }
}

/** Storage opened on first use (openQueueStorage), so a queue can exist before IndexedDB has answered. */
export function lazyQueueStorage(open: () => Promise<QueueStorage> = openQueueStorage): QueueStorage {
  let opened: QueueStorage | null = null;
  let opening: Promise<QueueStorage> | null = null;
  const storage = () => (opening ??= open().then((s) => (opened = s)));
  return {
    get durable() {
      return opened?.durable ?? false;
    },
    read: async (key) => (await storage()).read(key),
    update: async (key, updater) => (await storage()).update(key, updater),
  };
}
