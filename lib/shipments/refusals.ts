import type { LiveMutationErrorKind } from '@/lib/live/use-live-mutation';

// Refusals: changes a dispatcher asked for and the database refused (a
// transition rule, a permission, someone else's newer change). Each belongs to
// one shipment: it shows on that shipment's card and drawer only, and clears
// when its cause does (the shipment changes again, the person's next change to
// it succeeds) or when the person dismisses it.

export interface Refusal {
  shipmentId: string;
  reference: string;
  message: string;
  kind: LiveMutationErrorKind;
  /** The shipment's version once the refusal settled: a newer version is a new state, so the refusal is stale. */
  version: number;
}

/** A small external store (useSyncExternalStore) of the refusals of one board. */
export class RefusalStore {
  private refusals: ReadonlyMap<string, Refusal> = new Map();
  private readonly listeners = new Set<() => void>();

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ReadonlyMap<string, Refusal> => this.refusals;

  /** Records a refusal; it replaces an older one of the same shipment. */
  add(refusal: Refusal): void {
    this.update((next) => next.set(refusal.shipmentId, refusal));
  }

  /** The person dismissed it, or their next change to the shipment succeeded. */
  clear(shipmentId: string): void {
    if (!this.refusals.has(shipmentId)) return;
    this.update((next) => next.delete(shipmentId));
  }

  /** A shipment moved to `version`: a refusal about an older state is gone with it. */
  shipmentChanged(shipmentId: string, version: number): void {
    const refusal = this.refusals.get(shipmentId);
    if (refusal && version > refusal.version) this.clear(shipmentId);
  }

  private update(change: (next: Map<string, Refusal>) => void): void {
    const next = new Map(this.refusals);
    change(next);
    this.refusals = next;
    for (const listener of this.listeners) listener();
  }
}
