// The read plan: the tree of the request's resource and its embedded
// resources, as PostgREST 13 builds it (src/PostgREST/Plan.hs readPlan) before
// turning it into SQL. Each node knows the relation it reads, the alias it is
// read under (`<table>_<depth>` for embeds, which is what Postgres error
// messages name), the relationship to its parent, its filters, order and
// range, and how its parent shows it (object, array, spread, or not at all).
import { RestError } from '../errors';
import type { Filter } from '../query/filters';
import type { Modifiers } from '../query/params';
import type { OrderTerm } from '../query/order';
import type { EmbedItem, SelectItem } from '../query/select';
import type { JsonPathStep } from '../query/tokens';
import type { SchemaCache } from '../schema/cache';
import { findRelationship } from '../schema/find-relationship';
import { isToOne, type QualifiedName, type Relationship } from '../schema/relationships';

export interface SelectField {
  /** A column, a computed field, or '*'. */
  name: string;
  path: JsonPathStep[];
  alias: string | null;
  cast: string | null;
}

/** An order term; `relation` is the alias of a to-one embed's join (`order=client(name)`). */
export interface PlanOrder {
  relation: string | null;
  field: { name: string; path: JsonPathStep[] };
  direction: 'asc' | 'desc' | null;
  nulls: 'first' | 'last' | null;
}

/** How a node appears in its parent's output. */
export type RelSelect =
  | { kind: 'embed'; name: string; mode: 'object' | 'array'; empty: boolean; aggAlias: string }
  | { kind: 'spread'; fields: string[]; aggAlias: string };

export interface ReadNode {
  select: SelectField[];
  /** The relation read: a table or view, `pgrst_source` (schema '') for the results of a write or call. */
  from: QualifiedName;
  fromAlias: string | null;
  /** The exposed relation whose columns this node reads (for types), null when not a relation. */
  table: string | null;
  relName: string;
  relAlias: string | null;
  relHint: string | null;
  joinType: 'inner' | 'left' | null;
  /** A to-many spread aggregates each field; its order moves into the aggregates, over extra selects. */
  spread: null | 'to-one' | { extraSelects: { relation: string | null; field: SelectField }[]; order: PlanOrder[] };
  rel: Relationship | null;
  /** For a computed relationship: the parent row the function is called with. */
  relTableAlias: QualifiedName | null;
  aggAlias: string;
  joinConditions: { left: [QualifiedName, string]; right: [QualifiedName, string] }[];
  filters: Filter[];
  order: PlanOrder[];
  offset: number;
  limit: number | null;
  depth: number;
  children: ReadNode[];
  relSelects: RelSelect[];
}

export interface PlanInput {
  cache: SchemaCache;
  /** The root relation: a table, or the name a call's or write's results are read under. */
  root: { name: string; table: string | null; source: boolean };
  select: SelectItem[];
  modifiers: Map<string, Modifiers>;
  /** Filters on the root go to the plan (reads, calls) or to the write itself (writes). */
  rootFiltersInPlan: boolean;
  /** The root's range: limit/offset intersected with the Range header; null for writes. */
  rootRange: { offset: number; limit: number | null } | null;
  maxRows: number | null;
}

function node(from: QualifiedName, relName: string, depth: number, table: string | null): ReadNode {
  return {
    select: [],
    from,
    fromAlias: null,
    table,
    relName,
    relAlias: null,
    relHint: null,
    joinType: null,
    spread: null,
    rel: null,
    relTableAlias: null,
    aggAlias: '',
    joinConditions: [],
    filters: [],
    order: [],
    offset: 0,
    limit: null,
    depth,
    children: [],
    relSelects: [],
  };
}

function addItems(parent: ReadNode, items: SelectItem[], schema: string): void {
  for (const item of items) {
    if (item.kind === 'star') parent.select.push({ name: '*', path: [], alias: null, cast: null });
    else if (item.kind === 'column')
      parent.select.push({ name: item.field.name, path: item.field.path, alias: item.alias, cast: item.cast });
    else parent.children.push(childOf(item, parent.depth + 1, schema));
  }
}

function childOf(item: EmbedItem, depth: number, schema: string): ReadNode {
  const child = node({ schema, name: item.relation }, item.relation, depth, item.relation);
  child.relAlias = item.spread ? null : item.alias;
  child.relHint = item.hint;
  child.joinType = item.joinType;
  child.spread = item.spread ? 'to-one' : null;
  addItems(child, item.children, schema);
  return child;
}

/** Finds the embedded node a modifier's path names (by relation or alias); PGRST108 otherwise. */
function nodeAt(root: ReadNode, path: string): ReadNode {
  let current = root;
  for (const segment of path === '' ? [] : path.split('.')) {
    const next = current.children.find((c) => c.relName === segment || c.relAlias === segment);
    if (!next) {
      throw new RestError(
        400,
        'PGRST108',
        `'${segment}' is not an embedded resource in this request`,
        null,
        `Verify that '${segment}' is included in the 'select' query parameter.`,
      );
    }
    current = next;
  }
  return current;
}

function toPlanOrder(term: OrderTerm): PlanOrder {
  return { relation: term.relation, field: term.field, direction: term.direction, nulls: term.nulls };
}

function resolveRelationships(input: PlanInput, parent: ReadNode): void {
  const schema = input.cache.schema;
  const rels = input.cache.now().relationships;
  for (const child of parent.children) {
    // At depth 1 the root's alias names it (a write's or call's results are read as the table).
    const origin = child.depth === 1 ? (parent.fromAlias ?? parent.from.name) : parent.from.name;
    const rel = findRelationship(rels, schema, origin, child.relName, child.relHint);
    const aggAlias = `${rel.table.name}_${child.relAlias ?? child.relName}_${child.depth}`;
    const parentQi: QualifiedName = parent.fromAlias ? { schema: '', name: parent.fromAlias } : parent.from;
    child.rel = rel;
    child.from = rel.foreignTable;
    child.table = rel.foreignTable.name;
    child.aggAlias = aggAlias;
    if (child.spread !== null && !isToOne(rel)) child.spread = { extraSelects: [], order: [] };
    if (rel.kind === 'computed') {
      child.fromAlias = `${rel.foreignTable.name}_${child.depth}`;
      child.relTableAlias = parent.fromAlias ? { schema: '', name: parent.fromAlias } : rel.table;
    } else if (rel.cardinality.kind === 'M2M') {
      const junction = rel.cardinality.junction;
      child.joinConditions = [
        ...rel.cardinality.targetColumns.map(([target, j]) => ({
          left: [junction, j] as [QualifiedName, string],
          right: [rel.foreignTable, target] as [QualifiedName, string],
        })),
        ...rel.cardinality.sourceColumns.map(([source, j]) => ({
          left: [junction, j] as [QualifiedName, string],
          right: [parentQi, source] as [QualifiedName, string],
        })),
      ];
    } else {
      child.fromAlias = `${rel.foreignTable.name}_${child.depth}`;
      const childQi: QualifiedName = { schema: '', name: child.fromAlias };
      child.joinConditions = rel.cardinality.columns.map(([col, fcol]) => ({
        left: [childQi, fcol] as [QualifiedName, string],
        right: [parentQi, col] as [QualifiedName, string],
      }));
    }
    resolveRelationships(input, child);
  }
}

/** The names a node shows its parent when spread: its fields, then its embeds' (spread ones flattened). */
function spreadFields(n: ReadNode): string[] {
  return [
    ...n.select.map((s) => s.alias ?? s.name),
    ...n.relSelects.flatMap((r) => (r.kind === 'embed' ? [r.name] : r.fields)),
  ];
}

function addRelSelects(n: ReadNode): void {
  for (const child of n.children) addRelSelects(child);
  n.relSelects = n.children.map((child): RelSelect => {
    if (child.spread !== null) return { kind: 'spread', fields: spreadFields(child), aggAlias: child.aggAlias };
    const empty = child.select.length === 0 && child.children.every(onlyEmpty);
    return {
      kind: 'embed',
      name: child.relAlias ?? child.relName,
      mode: child.rel && isToOne(child.rel) ? 'object' : 'array',
      empty,
      aggAlias: child.aggAlias,
    };
  });
}

function onlyEmpty(n: ReadNode): boolean {
  return n.select.length === 0 && n.children.every(onlyEmpty);
}

/** `data->a->>b` is output as `b` unless aliased (PostgREST's addAliases). */
function addAliases(n: ReadNode): void {
  for (const field of n.select) {
    if (field.alias === null && field.path.length > 0) {
      const last = field.path[field.path.length - 1].key;
      const isIndex = /^-?\d+$/.test(last);
      const lastKey = [...field.path].reverse().find((p) => !/^-?\d+$/.test(p.key))?.key;
      field.alias = isIndex ? (lastKey ?? field.name) : last;
    }
  }
  n.children.forEach(addAliases);
}

/** A to-many spread aggregates named columns, so its `*` becomes the relation's columns. */
function expandStarsForToManySpread(input: PlanInput, n: ReadNode, inToMany: boolean): void {
  const expand = inToMany || (n.spread !== null && n.spread !== 'to-one');
  if (expand && n.table !== null && n.select.some((s) => s.name === '*' && s.path.length === 0)) {
    const columns = input.cache.now().tables.get(n.table)?.columns ?? [];
    n.select = n.select.flatMap((s) =>
      s.name === '*' && s.path.length === 0 ? columns.map((c) => ({ ...s, name: c.name })) : [s],
    );
  }
  for (const child of n.children) expandStarsForToManySpread(input, child, expand);
}

function addRelatedOrders(n: ReadNode): void {
  n.order = n.order.map((term) => {
    if (term.relation === null) return term;
    const child = n.children.find((c) => (c.relAlias ?? c.relName) === term.relation);
    if (!child) {
      throw new RestError(
        400,
        'PGRST108',
        `'${term.relation}' is not an embedded resource in this request`,
        null,
        `Verify that '${term.relation}' is included in the 'select' query parameter.`,
      );
    }
    if (!child.rel || !isToOne(child.rel)) {
      throw new RestError(
        400,
        'PGRST118',
        `A related order on '${child.relAlias ?? child.relName}' is not possible`,
        `'${n.from.name}' and '${child.relAlias ?? child.relName}' do not form a many-to-one or one-to-one relationship`,
      );
    }
    return { ...term, relation: child.aggAlias };
  });
  n.children.forEach(addRelatedOrders);
}

/** The order of a to-many spread moves into its aggregate, over extra selected columns. */
function addToManyOrderSelects(n: ReadNode): void {
  if (n.spread !== null && n.spread !== 'to-one') {
    const alias = (o: PlanOrder, i: number) => `${n.aggAlias}_${o.field.name}_${i + 1}`;
    n.spread = {
      extraSelects: n.order.map((o, i) => ({
        relation: o.relation,
        field: { name: o.field.name, path: o.field.path, alias: alias(o, i), cast: null },
      })),
      order: n.order.map((o, i) => ({ ...o, relation: null, field: { name: alias(o, i), path: [] } })),
    };
    n.order = [];
  }
  n.children.forEach(addToManyOrderSelects);
}

function restrictRange(n: ReadNode, maxRows: number | null): void {
  if (maxRows !== null) n.limit = n.limit === null ? maxRows : Math.min(n.limit, maxRows);
  n.children.forEach((c) => restrictRange(c, maxRows));
}

export function buildReadPlan(input: PlanInput): ReadNode {
  const schema = input.cache.schema;
  const rootFrom: QualifiedName = input.root.source
    ? { schema: '', name: 'pgrst_source' }
    : { schema, name: input.root.name };
  const root = node(rootFrom, input.root.name, 0, input.root.table);
  if (input.root.source) root.fromAlias = input.root.name;
  addItems(root, input.select, schema);

  for (const [path, mods] of input.modifiers) {
    const target = nodeAt(root, path);
    if (path !== '' || input.rootFiltersInPlan) target.filters.push(...mods.filters);
    target.order = mods.order.map(toPlanOrder);
    if (path !== '' && input.rootRange !== null) {
      target.offset = mods.offset ?? 0;
      target.limit = mods.limit;
    }
  }
  if (input.rootRange) {
    root.offset = input.rootRange.offset;
    root.limit = input.rootRange.limit;
  }

  resolveRelationships(input, root);
  expandStarsForToManySpread(input, root, false);
  addAliases(root);
  addRelatedOrders(root);
  addRelSelects(root);
  if (input.rootRange !== null) restrictRange(root, input.maxRows);
  addToManyOrderSelects(root);
  return root;
}

/** Columns a write or call must return so the plan can read, filter and embed its results. */
export function returnedColumns(root: ReadNode, extra: string[]): string[] | '*' {
  if (root.select.some((s) => s.name === '*') || root.children.some((c) => c.rel?.kind === 'computed')) return '*';
  const names = new Set(root.select.map((s) => s.name));
  for (const child of root.children) {
    const rel = child.rel;
    if (rel?.kind !== 'fk') continue;
    const card = rel.cardinality;
    if (card.kind === 'M2M') card.sourceColumns.forEach(([c]) => names.add(c));
    else card.columns.forEach(([c]) => names.add(c));
  }
  extra.forEach((c) => names.add(c));
  return [...names];
}
