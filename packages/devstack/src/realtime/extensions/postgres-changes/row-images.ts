import type { Relation, TupleValue } from './pgoutput';

// What the replication stream hands to the pipeline: committed transactions
// of row changes, each row as a map of column name → text value.

/** A row image: column name → text value (null = SQL NULL); absent columns were not sent. */
export type Image = Map<string, string | null>;

export interface RowChange {
  relation: Relation;
  type: 'INSERT' | 'UPDATE' | 'DELETE';
  newImage: Image | null;
  /** The old row: every column with REPLICA IDENTITY FULL, else the key columns only. */
  oldImage: Image | null;
}

export interface Transaction {
  commitTime: Date;
  /** End of the commit record: confirming it means "delivered up to here". */
  lsn: bigint;
  changes: RowChange[];
}

/** A tuple as an image; `keyOnly` keeps the replica identity columns (a K tuple). */
export function toImage(
  relation: Relation,
  tuple: TupleValue[] | null,
  keyOnly: boolean,
  fallback?: Image | null,
): Image | null {
  if (!tuple) return null;
  const out: Image = new Map();
  relation.columns.forEach((column, i) => {
    if (keyOnly && !column.isKey) return;
    const value = tuple[i];
    // undefined: an unchanged TOASTed value, not sent; take it from the old row when there is one.
    if (value !== undefined) out.set(column.name, value);
    else if (fallback?.has(column.name)) out.set(column.name, fallback.get(column.name) ?? null);
  });
  return out;
}
