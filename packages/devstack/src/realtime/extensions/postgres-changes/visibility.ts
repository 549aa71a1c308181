import type { Sql } from 'postgres';
import { defaultLogger, type Logger } from '../../../log-json';
import type { RoleView, TableInfo } from './catalog';

// RLS visibility for INSERT/UPDATE changes, for every subscriber at once, in
// ONE database round trip per batch of transactions.
//
// Design. Subscribers are grouped by (table, role): each group has a
// generated PL/pgSQL function (catalog.ts) that switches to the role once,
// then for each distinct claims set does set_config('request.jwt.claims') and
// runs one static query evaluating the role's SELECT policies against all row
// images of the batch. Each loop iteration is a separate statement execution,
// so policy InitPlans such as (select auth.uid()) are re-evaluated per
// subscriber; a single SQL statement with per-row set_config would not be
// safe (InitPlans run once and the evaluation order is unspecified). All
// groups are combined with UNION ALL into one statement.
//
// Row images, not table rows: WALRUS checks `exists(select 1 from t where
// pk = …)` against the table as it is when the check runs. If the row changed
// again in between, that answers for the wrong version (a later re-assignment
// could leak an earlier version's data). Evaluating the policy expressions on
// the committed image itself decides for exactly the version being sent.
// Policies that read other tables (memberships) still see their current state.

interface Group {
  fn: string;
  table: TableInfo;
  claims: string[];
  claimIndex: Map<string, number>;
  images: Array<Map<string, string | null>>;
  imageIndex: Map<object, number>;
  /** (subscriber, change) pairs that passed, as pairKey numbers. */
  visible: Set<number>;
}

/** One number per (claims index, image index), both 1-based and below 2^26. */
const pairKey = (claim: number, image: number) => claim * 67_108_864 + image;

export interface Ticket {
  group: Group;
  claim: number;
  image: number;
}

export class VisibilityBatch {
  private readonly groups = new Map<string, Group>();

  get size(): number {
    return this.groups.size;
  }

  /** Asks whether the subscriber (claims) may see this row image. */
  request(table: TableInfo, view: RoleView, claims: string, image: Map<string, string | null>): Ticket {
    let group = this.groups.get(view.functionName);
    if (!group) {
      group = {
        fn: view.functionName,
        table,
        claims: [],
        claimIndex: new Map(),
        images: [],
        imageIndex: new Map(),
        visible: new Set(),
      };
      this.groups.set(view.functionName, group);
    }
    let claim = group.claimIndex.get(claims);
    if (claim === undefined) {
      claim = group.claims.push(claims) - 1;
      group.claimIndex.set(claims, claim);
    }
    let index = group.imageIndex.get(image);
    if (index === undefined) {
      index = group.images.push(image) - 1;
      group.imageIndex.set(image, index);
    }
    return { group, claim, image: index };
  }

  static visible(ticket: Ticket): boolean {
    return ticket.group.visible.has(pairKey(ticket.claim + 1, ticket.image + 1));
  }

  /** Runs every check of the batch in one statement; on an error, once more in safe mode. */
  async run(sql: Sql, log: Logger = defaultLogger().child({ service: 'realtime' })): Promise<void> {
    if (this.groups.size === 0) return;
    try {
      await this.execute(sql, false);
    } catch (err) {
      log.warn('RLS batch failed, re-checking subscriber by subscriber', { reason: (err as Error).message });
      for (const group of this.groups.values()) group.visible.clear();
      await this.execute(sql, true);
    }
  }

  private async execute(sql: Sql, safe: boolean): Promise<void> {
    const params: unknown[] = [safe];
    const parts: string[] = [];
    const groups = [...this.groups.values()];
    groups.forEach((group, g) => {
      const args = [`$1::boolean`];
      params.push(group.claims);
      args.push(`$${params.length}::text[]`);
      for (const column of group.table.columns) {
        params.push(group.images.map((image) => image.get(column.name) ?? null));
        args.push(`$${params.length}::text[]`);
      }
      parts.push(`select ${g} as g, _rt_subscriber as s, _rt_change as c from ${group.fn}(${args.join(', ')})`);
    });
    const rows = await sql.unsafe<{ g: number; s: number; c: number }[]>(parts.join(' union all '), params as never[]);
    for (const row of rows) groups[row.g].visible.add(pairKey(row.s, row.c));
  }
}
