// Relationships between the exposed relations, built as PostgREST 13 builds
// them (src/PostgREST/SchemaCache.hs; resolving one is find-relationship.ts): every
// foreign key gives a many-to-one (one-to-one when its columns are unique) and
// its inverse; views that expose key columns take part like their tables; a
// table whose primary key holds foreign keys to two tables joins them
// many-to-many; a function from one relation's row type to another's rows is a
// computed relationship, which hides a foreign key relationship of the same name.
import type { ForeignKey, RowFunction, Table } from './introspect';
import type { ViewKeyDependency } from './view-keys';

export interface QualifiedName {
  schema: string;
  name: string;
}

export type ColumnPairs = [string, string][];

export type Cardinality =
  | { kind: 'O2M'; constraint: string; columns: ColumnPairs }
  | { kind: 'M2O'; constraint: string; columns: ColumnPairs }
  | { kind: 'O2O'; constraint: string; columns: ColumnPairs; isParent: boolean }
  | {
      kind: 'M2M';
      junction: QualifiedName;
      constraint1: string;
      constraint2: string;
      /** (source column, junction column) pairs. */
      sourceColumns: ColumnPairs;
      /** (target column, junction column) pairs. */
      targetColumns: ColumnPairs;
    };

export type Relationship =
  | {
      kind: 'fk';
      table: QualifiedName;
      foreignTable: QualifiedName;
      isSelf: boolean;
      cardinality: Cardinality;
      tableIsView: boolean;
      foreignTableIsView: boolean;
    }
  | {
      kind: 'computed';
      function: QualifiedName;
      table: QualifiedName;
      foreignTable: QualifiedName;
      toOne: boolean;
      isSelf: boolean;
    };

export type FkRelationship = Extract<Relationship, { kind: 'fk' }>;

export function isToOne(rel: Relationship): boolean {
  if (rel.kind === 'computed') return rel.toOne;
  return rel.cardinality.kind === 'M2O' || rel.cardinality.kind === 'O2O';
}

const same = (a: QualifiedName, b: QualifiedName) => a.schema === b.schema && a.name === b.name;
const swap = (pairs: ColumnPairs): ColumnPairs => pairs.map(([a, b]) => [b, a]);

/** All combinations of one view column per key column (a base column may appear in a view more than once). */
function expansions(dep: ViewKeyDependency): string[][] {
  return dep.columns.reduce<string[][]>(
    (acc, col) => acc.flatMap((prefix) => col.viewColumns.map((v) => [...prefix, v])),
    [[]],
  );
}

function viewRelationships(deps: ViewKeyDependency[], rels: FkRelationship[]): FkRelationship[] {
  const out: FkRelationship[] = [];
  for (const rel of rels) {
    const card = rel.cardinality;
    if (!(card.kind === 'M2O' || (card.kind === 'O2O' && !card.isParent))) continue;
    const build = (columns: ColumnPairs): Cardinality =>
      card.kind === 'M2O'
        ? { kind: 'M2O', constraint: card.constraint, columns }
        : { kind: 'O2O', constraint: card.constraint, columns, isParent: false };
    const viewTables = deps.filter(
      (d) =>
        d.kind === 'fk' &&
        d.constraint === card.constraint &&
        same({ schema: d.tableSchema, name: d.table }, rel.table),
    );
    const tableViews = deps.filter(
      (d) =>
        d.kind === 'fk_ref' &&
        d.constraint === card.constraint &&
        same({ schema: d.tableSchema, name: d.table }, rel.foreignTable),
    );
    const view = (d: ViewKeyDependency): QualifiedName => ({ schema: d.viewSchema, name: d.view });
    for (const vt of viewTables) {
      for (const cols of expansions(vt)) {
        const columns = cols.map((v, i): [string, string] => [v, card.columns[i][1]]);
        out.push({
          ...rel,
          table: view(vt),
          isSelf: false,
          cardinality: build(columns),
          tableIsView: true,
          foreignTableIsView: false,
        });
      }
    }
    for (const tv of tableViews) {
      for (const cols of expansions(tv)) {
        const columns = card.columns.map(([t], i): [string, string] => [t, cols[i]]);
        out.push({
          ...rel,
          foreignTable: view(tv),
          isSelf: false,
          cardinality: build(columns),
          tableIsView: false,
          foreignTableIsView: true,
        });
      }
    }
    for (const vt of viewTables) {
      for (const tv of tableViews) {
        for (const c1 of expansions(vt)) {
          for (const c2 of expansions(tv)) {
            out.push({
              kind: 'fk',
              table: view(vt),
              foreignTable: view(tv),
              isSelf: same(view(vt), view(tv)),
              cardinality: build(c1.map((v, i): [string, string] => [v, c2[i]])),
              tableIsView: true,
              foreignTableIsView: true,
            });
          }
        }
      }
    }
  }
  return out;
}

function manyToManyRelationships(
  rels: FkRelationship[],
  primaryKeyOf: (t: QualifiedName) => string[],
): FkRelationship[] {
  const out: FkRelationship[] = [];
  for (const a of rels) {
    for (const b of rels) {
      if (a.cardinality.kind !== 'M2O' || b.cardinality.kind !== 'M2O') continue;
      if (!same(a.table, b.table) || a.cardinality.constraint === b.cardinality.constraint) continue;
      const pk = new Set(primaryKeyOf(a.table));
      const junctionColumns = [...a.cardinality.columns.map(([c]) => c), ...b.cardinality.columns.map(([c]) => c)];
      if (!junctionColumns.every((c) => pk.has(c))) continue;
      out.push({
        kind: 'fk',
        table: a.foreignTable,
        foreignTable: b.foreignTable,
        isSelf: same(a.foreignTable, b.foreignTable),
        cardinality: {
          kind: 'M2M',
          junction: a.table,
          constraint1: a.cardinality.constraint,
          constraint2: b.cardinality.constraint,
          sourceColumns: swap(a.cardinality.columns),
          targetColumns: swap(b.cardinality.columns),
        },
        tableIsView: a.foreignTableIsView,
        foreignTableIsView: b.foreignTableIsView,
      });
    }
  }
  return out;
}

function inverse(rels: FkRelationship[]): FkRelationship[] {
  return rels.flatMap((r): FkRelationship[] => {
    const base = {
      kind: 'fk' as const,
      table: r.foreignTable,
      foreignTable: r.table,
      isSelf: r.isSelf,
      tableIsView: r.foreignTableIsView,
      foreignTableIsView: r.tableIsView,
    };
    const c = r.cardinality;
    if (c.kind === 'M2O')
      return [{ ...base, cardinality: { kind: 'O2M', constraint: c.constraint, columns: swap(c.columns) } }];
    if (c.kind === 'O2O')
      return [
        {
          ...base,
          cardinality: { kind: 'O2O', constraint: c.constraint, columns: swap(c.columns), isParent: !c.isParent },
        },
      ];
    return [];
  });
}

const cardinalityRank = { O2M: 0, M2O: 1, O2O: 2, M2M: 3 } as const;

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
function compareName(a: QualifiedName, b: QualifiedName): number {
  return compareText(a.schema, b.schema) || compareText(a.name, b.name);
}
function comparePairs(a: ColumnPairs, b: ColumnPairs): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareText(a[i][0], b[i][0]) || compareText(a[i][1], b[i][1]);
    if (c) return c;
  }
  return a.length - b.length;
}
function compareCardinality(a: Cardinality, b: Cardinality): number {
  const rank = cardinalityRank[a.kind] - cardinalityRank[b.kind];
  if (rank) return rank;
  if (a.kind === 'M2M' && b.kind === 'M2M') {
    return (
      compareName(a.junction, b.junction) ||
      compareText(a.constraint1, b.constraint1) ||
      compareText(a.constraint2, b.constraint2) ||
      comparePairs(a.sourceColumns, b.sourceColumns) ||
      comparePairs(a.targetColumns, b.targetColumns)
    );
  }
  if (a.kind === 'M2M' || b.kind === 'M2M') return 0;
  return (
    compareText(a.constraint, b.constraint) ||
    comparePairs(a.columns, b.columns) ||
    (a.kind === 'O2O' && b.kind === 'O2O' ? Number(a.isParent) - Number(b.isParent) : 0)
  );
}

/** The derived Ord of PostgREST's Relationship type: the order of PGRST201's candidates. */
function compareRelationships(a: Relationship, b: Relationship): number {
  if (a.kind !== b.kind) return a.kind === 'fk' ? -1 : 1;
  if (a.kind === 'fk' && b.kind === 'fk') {
    return (
      compareName(a.table, b.table) ||
      compareName(a.foreignTable, b.foreignTable) ||
      Number(a.isSelf) - Number(b.isSelf) ||
      compareCardinality(a.cardinality, b.cardinality) ||
      Number(a.tableIsView) - Number(b.tableIsView) ||
      Number(a.foreignTableIsView) - Number(b.foreignTableIsView)
    );
  }
  if (a.kind === 'computed' && b.kind === 'computed') {
    return (
      compareName(a.function, b.function) ||
      compareName(a.table, b.table) ||
      compareName(a.foreignTable, b.foreignTable)
    );
  }
  return 0;
}

/** Relationships by origin relation name (within the exposed schema), sorted as PostgREST sorts them. */
export type RelationshipMap = Map<string, Relationship[]>;

export function buildRelationships(
  schema: string,
  tables: Table[],
  foreignKeys: ForeignKey[],
  deps: ViewKeyDependency[],
  rowFunctions: RowFunction[],
): RelationshipMap {
  const detected: FkRelationship[] = foreignKeys.map((fk) => ({
    kind: 'fk',
    table: { schema: fk.tableSchema, name: fk.table },
    foreignTable: { schema: fk.refTableSchema, name: fk.refTable },
    isSelf: fk.tableOid === fk.refTableOid,
    cardinality: fk.oneToOne
      ? {
          kind: 'O2O',
          constraint: fk.name,
          columns: fk.columns.map((c, i): [string, string] => [c, fk.refColumns[i]]),
          isParent: false,
        }
      : {
          kind: 'M2O',
          constraint: fk.name,
          columns: fk.columns.map((c, i): [string, string] => [c, fk.refColumns[i]]),
        },
    tableIsView: false,
    foreignTableIsView: false,
  }));
  const withViews = [...detected, ...viewRelationships(deps, detected)];
  const primaryKeyOf = (t: QualifiedName) =>
    t.schema === schema ? (tables.find((x) => x.name === t.name)?.primaryKey ?? []) : [];
  const withJunctions = [...withViews, ...manyToManyRelationships(withViews, primaryKeyOf)];
  const all: Relationship[] = [...withJunctions, ...inverse(withJunctions)];

  type Computed = Extract<Relationship, { kind: 'computed' }>;
  const computed: Computed[] = rowFunctions.flatMap((f): Computed[] =>
    f.returnTable === null || f.returnTableSchema === null
      ? []
      : [
          {
            kind: 'computed',
            function: { schema, name: f.name },
            table: { schema: f.tableSchema, name: f.table },
            foreignTable: { schema: f.returnTableSchema, name: f.returnTable },
            toOne: f.toOne,
            isSelf: f.tableSchema === f.returnTableSchema && f.table === f.returnTable,
          },
        ],
  );
  // A computed relationship named like a related table replaces the detected ones to it.
  const overridden = (r: Relationship) =>
    r.kind === 'fk' && computed.some((c) => same(c.table, r.table) && same(c.function, r.foreignTable));
  const kept = [...all.filter((r) => !overridden(r)), ...computed].filter((r) => {
    if (r.table.schema !== schema || r.foreignTable.schema !== schema) return false;
    return !(r.kind === 'fk' && r.cardinality.kind === 'M2M' && r.cardinality.junction.schema !== schema);
  });
  const map: RelationshipMap = new Map();
  for (const rel of kept) map.set(rel.table.name, [...(map.get(rel.table.name) ?? []), rel]);
  for (const list of map.values()) list.sort(compareRelationships);
  return map;
}
