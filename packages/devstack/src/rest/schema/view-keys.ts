// Which primary and foreign key columns a view exposes, so that views take
// part in relationships as PostgREST 13 lets them (allViewsKeyDependencies in
// src/PostgREST/SchemaCache.hs): a view column that is a plain reference to a
// base table column (through any number of views) carries that column's keys.
//
// The lineage comes from the view's stored query tree (pg_rewrite.ev_action):
// each entry of its target list records the table and column it was taken from
// (resorigtbl / resorigcol). PostgREST rewrites that text into JSON with a
// chain of replace() calls in SQL; here it is read by a small tokenizer.
import type { KeyConstraint, ForeignKey, ViewDefinition } from './introspect';

type TreeValue = string | TreeNode | TreeValue[];
interface TreeNode {
  type: string;
  fields: Map<string, TreeValue[]>;
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
    } else if ('{}()'.includes(ch)) {
      tokens.push(ch);
      i++;
    } else {
      let atom = '';
      while (i < text.length && !/\s/.test(text[i]) && !'{}()'.includes(text[i])) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        atom += text[i++];
      }
      tokens.push(atom);
    }
  }
  return tokens;
}

class TreeReader {
  private at = 0;
  constructor(private readonly tokens: string[]) {}

  value(): TreeValue {
    const token = this.tokens[this.at++];
    if (token === '{') return this.node();
    if (token === '(') {
      const items: TreeValue[] = [];
      while (this.at < this.tokens.length && this.tokens[this.at] !== ')') items.push(this.value());
      this.at++;
      return items;
    }
    return token ?? '';
  }

  private node(): TreeNode {
    const node: TreeNode = { type: this.tokens[this.at++] ?? '', fields: new Map() };
    let field: TreeValue[] | null = null;
    while (this.at < this.tokens.length && this.tokens[this.at] !== '}') {
      const token = this.tokens[this.at];
      if (token.startsWith(':') && token.length > 1) {
        field = [];
        node.fields.set(token.slice(1), field);
        this.at++;
      } else {
        const value = this.value();
        field?.push(value);
      }
    }
    this.at++;
    return node;
  }
}

interface TargetEntry {
  resno: number;
  origTable: number;
  origColumn: number;
}

/** The target list of the view's query: (view column number, origin table oid, origin column number). */
export function targetEntries(definition: string): TargetEntry[] {
  const top = new TreeReader(tokenize(definition)).value();
  const query = Array.isArray(top) ? top[0] : top;
  if (typeof query !== 'object' || Array.isArray(query)) return [];
  const list = query.fields.get('targetList')?.[0];
  if (!Array.isArray(list)) return [];
  const number = (node: TreeNode, name: string) => Number(node.fields.get(name)?.[0] ?? NaN);
  return list.flatMap((entry) => {
    if (typeof entry !== 'object' || Array.isArray(entry) || entry.type !== 'TARGETENTRY') return [];
    const found = {
      resno: number(entry, 'resno'),
      origTable: number(entry, 'resorigtbl'),
      origColumn: number(entry, 'resorigcol'),
    };
    return Number.isFinite(found.origTable) && found.origTable !== 0 ? [found] : [];
  });
}

export type KeyDependencyKind = 'pk' | 'fk' | 'fk_ref';

/** A key of a base table that a view exposes: each key column with every view column that carries it. */
export interface ViewKeyDependency {
  tableSchema: string;
  table: string;
  viewSchema: string;
  view: string;
  constraint: string;
  kind: KeyDependencyKind;
  columns: { tableColumn: string; viewColumns: string[] }[];
}

/** Every primary key, foreign key and referenced key that each view (in `schemas`) exposes in full. */
export function viewKeyDependencies(
  views: ViewDefinition[],
  primaryKeys: KeyConstraint[],
  foreignKeys: ForeignKey[],
  schemas: string[],
): ViewKeyDependency[] {
  const entriesByView = new Map(views.map((v) => [v.oid, targetEntries(v.definition)]));
  // For each view column: every (table oid, column number) it comes from, following views of views.
  const origins = (viewOid: number, column: number, seen: Set<number>): [number, number][] => {
    const entry = entriesByView.get(viewOid)?.find((e) => e.resno === column);
    if (!entry) return [];
    const here: [number, number] = [entry.origTable, entry.origColumn];
    if (!entriesByView.has(entry.origTable) || seen.has(entry.origTable)) return [here];
    return [here, ...origins(entry.origTable, entry.origColumn, new Set([...seen, entry.origTable]))];
  };

  type Key = {
    name: string;
    kind: KeyDependencyKind;
    oid: number;
    schema: string;
    table: string;
    cols: { num: number; name: string }[];
  };
  const keys: Key[] = [
    ...primaryKeys.map((k) => ({
      name: k.name,
      kind: 'pk' as const,
      oid: k.tableOid,
      schema: k.tableSchema,
      table: k.table,
      cols: k.columns,
    })),
    ...foreignKeys.map((k) => ({
      name: k.name,
      kind: 'fk' as const,
      oid: k.tableOid,
      schema: k.tableSchema,
      table: k.table,
      cols: k.columns.map((name, i) => ({ num: k.columnNums[i], name })),
    })),
    ...foreignKeys.map((k) => ({
      name: k.name,
      kind: 'fk_ref' as const,
      oid: k.refTableOid,
      schema: k.refTableSchema,
      table: k.refTable,
      cols: k.refColumns.map((name, i) => ({ num: k.refColumnNums[i], name })),
    })),
  ];

  const deps: ViewKeyDependency[] = [];
  for (const view of views) {
    if (!schemas.includes(view.schema)) continue;
    // (table oid, column number) → the view's columns carrying it
    const carriers = new Map<string, string[]>();
    for (const column of view.columns) {
      for (const [oid, num] of origins(view.oid, column.num, new Set([view.oid]))) {
        const id = `${oid}:${num}`;
        carriers.set(id, [...(carriers.get(id) ?? []), column.name]);
      }
    }
    for (const key of keys) {
      const columns = key.cols.map((c) => ({
        tableColumn: c.name,
        viewColumns: carriers.get(`${key.oid}:${c.num}`) ?? [],
      }));
      if (columns.length === 0 || columns.some((c) => c.viewColumns.length === 0)) continue;
      deps.push({
        tableSchema: key.schema,
        table: key.table,
        viewSchema: view.schema,
        view: view.name,
        constraint: key.name,
        kind: key.kind,
        columns,
      });
    }
  }
  return deps;
}
