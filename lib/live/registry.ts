// Which column is the primary key of each live table defined in this bundle:
// filled by defineLiveTable, read by LiveHydrationBoundary to merge rows.
const primaryKeys = new Map<string, string>();

export function registerLivePrimaryKey(table: string, primaryKey: string): void {
  primaryKeys.set(table, primaryKey);
}

/** The primary key column of a live table (`id` when none was registered). */
export function livePrimaryKey(table: string): string {
  return primaryKeys.get(table) ?? 'id';
}
