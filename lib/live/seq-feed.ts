/** What the feed orders: anything with a commit-ordered seq. */
export interface Sequenced {
  seq: number;
}

export interface SeqFeedOptions<Change extends Sequenced> {
  /** Highest seq the caller's data already includes (the server render's watermark). */
  initialSeq: number;
  /** Applies changes, in seq order. Called with each contiguous run. */
  apply: (changes: Change[]) => void;
  /** Reads committed changes with seq > afterSeq, in seq order, at most `limit`. */
  backfill: (afterSeq: number, limit: number) => Promise<Change[]>;
  onError?: (error: unknown) => void;
  pageSize?: number;
}

/**
 * Orders a scope's change stream by its commit-ordered seq: applies each change
 * exactly once, in order; holds back changes that arrive after a gap and fills
 * the gap from the database (the record) before applying them. catchUp() runs
 * the same backfill on demand: after subscribing (the snapshot → stream
 * handoff), after a reconnect, and when a tab becomes visible again.
 *
 * Valid for viewers who can read every change of the scope (live.can_read_scope);
 * an audience topic (`<table>:@<user>`) carries a subset, with holes by design.
 */
export class SeqFeed<Change extends Sequenced> {
  private last: number;
  private readonly held = new Map<number, Change>();
  private running: Promise<void> | null = null;
  private rerun = false;
  private closed = false;

  constructor(private readonly options: SeqFeedOptions<Change>) {
    this.last = options.initialSeq;
  }

  get lastSeq(): number {
    return this.last;
  }

  /** A live change from the channel. */
  receive(change: Change): void {
    if (this.closed || change.seq <= this.last) return; // duplicate or already covered
    if (change.seq === this.last + 1 && !this.running) {
      this.advance([change]);
      this.releaseHeld();
      return;
    }
    this.held.set(change.seq, change);
    if (change.seq > this.last + 1) void this.catchUp();
  }

  /** Reads everything after the last applied seq from the database. Concurrent calls share one run. */
  catchUp(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * The caller's data now includes everything up to `seq` (a newer server
   * snapshot was merged): continue from there. Never moves backwards.
   */
  advanceTo(seq: number): void {
    if (this.closed || seq <= this.last) return;
    this.last = seq;
    this.releaseHeld();
  }

  close(): void {
    this.closed = true;
    this.held.clear();
  }

  private async run(): Promise<void> {
    const pageSize = this.options.pageSize ?? 500;
    for (;;) {
      this.rerun = false;
      const before = this.last;
      try {
        for (;;) {
          const page = await this.options.backfill(this.last, pageSize);
          if (this.closed) return;
          const run: Change[] = [];
          for (const change of [...page].sort((a, b) => a.seq - b.seq)) {
            if (change.seq <= this.last + run.length) continue;
            // The record holds every seq of the scope; a hole would mean a bug or
            // RLS hiding rows, so stop there rather than skip a change silently.
            if (change.seq !== this.last + run.length + 1) break;
            run.push(change);
          }
          this.advance(run);
          this.releaseHeld();
          if (page.length < pageSize) break;
        }
      } catch (error) {
        this.options.onError?.(error);
        return;
      }
      if (this.closed) return;
      // Asked again while reading (a live change arrived): read once more.
      if (this.rerun) continue;
      // Still a gap but progress was made: the rest may have committed meanwhile.
      const gapped = [...this.held.keys()].some((seq) => seq > this.last);
      if (gapped && this.last > before) continue;
      return;
    }
  }

  private releaseHeld(): void {
    const run: Change[] = [];
    for (let next = this.last + 1; this.held.has(next); next++) {
      run.push(this.held.get(next)!);
      this.held.delete(next);
    }
    for (const seq of this.held.keys()) if (seq <= this.last + run.length) this.held.delete(seq);
    this.advance(run);
  }

  private advance(changes: Change[]): void {
    if (changes.length === 0) return;
    this.last = changes[changes.length - 1].seq;
    this.options.apply(changes);
  }
}
