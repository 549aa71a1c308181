// Resolves an embedded resource (`driver:profiles!shipments_driver_id_fkey(...)`)
// to one foreign key relationship, as PostgREST does: by target table, fk
// column or constraint name, narrowed by the `!hint`; PGRST200 when nothing
// matches, PGRST201 when more than one does.
import { RestError } from '../errors';
import type { SchemaCache } from './cache';
import type { ForeignKey, Table } from './introspect';

export interface Relationship {
  constraint: string;
  /** many-to-one / one-to-one: at most one related row (an object); one-to-many: an array. */
  cardinality: 'many-to-one' | 'one-to-many' | 'one-to-one';
  target: Table;
  /** Pairs of (column on the parent, column on the target) to join on. */
  joins: { parent: string; target: string }[];
}

function candidates(cache: SchemaCache, parent: Table): Relationship[] {
  const found: Relationship[] = [];
  for (const fk of cache.foreignKeys()) {
    if (fk.table === parent.name) {
      const target = cache.tableNow(fk.refTable);
      if (target) found.push(manyToOne(fk, target));
    }
    if (fk.refTable === parent.name) {
      const target = cache.tableNow(fk.table);
      if (target) found.push(oneToMany(fk, target));
    }
  }
  return found;
}

function manyToOne(fk: ForeignKey, target: Table): Relationship {
  return {
    constraint: fk.name,
    cardinality: 'many-to-one',
    target,
    joins: fk.columns.map((column, i) => ({ parent: column, target: fk.refColumns[i] })),
  };
}

function oneToMany(fk: ForeignKey, target: Table): Relationship {
  const unique = target.uniqueKeys.some(
    (key) => key.length === fk.columns.length && key.every((column) => fk.columns.includes(column)),
  );
  return {
    constraint: fk.name,
    cardinality: unique ? 'one-to-one' : 'one-to-many',
    target,
    joins: fk.refColumns.map((column, i) => ({ parent: column, target: fk.columns[i] })),
  };
}

function fkColumnsOnParent(rel: Relationship): string[] {
  return rel.cardinality === 'many-to-one' ? rel.joins.map((j) => j.parent) : [];
}

function matches(rel: Relationship, name: string, hint: string | null): boolean {
  const byName =
    rel.target.name === name ||
    rel.constraint === name ||
    (rel.cardinality === 'many-to-one' && fkColumnsOnParent(rel).length === 1 && fkColumnsOnParent(rel)[0] === name);
  if (!byName) return false;
  if (hint === null) return true;
  const columns = rel.joins.flatMap((j) => [j.parent, j.target]);
  return rel.constraint === hint || columns.includes(hint) || rel.target.name === hint;
}

export async function resolveRelationship(
  cache: SchemaCache,
  parent: Table,
  name: string,
  hint: string | null,
): Promise<Relationship> {
  let found = candidates(cache, parent).filter((rel) => matches(rel, name, hint));
  if (found.length === 0 && (await cache.refreshRelationships(parent.name, name))) {
    found = candidates(cache, parent).filter((rel) => matches(rel, name, hint));
  }
  if (found.length === 1) return found[0];
  if (found.length === 0) {
    throw new RestError(
      400,
      'PGRST200',
      `Could not find a relationship between '${parent.name}' and '${name}' in the schema cache`,
      `Searched for a foreign key relationship between '${parent.name}' and '${name}'${hint ? ` using the hint '${hint}'` : ''} in the schema '${cache.schema}', but no matches were found.`,
    );
  }
  const described = found.map((rel) => ({
    cardinality: rel.cardinality,
    embedding: `${parent.name} with ${rel.target.name}`,
    relationship: `${rel.constraint} using ${parent.name}(${rel.joins.map((j) => j.parent).join(', ')}) and ${rel.target.name}(${rel.joins.map((j) => j.target).join(', ')})`,
  }));
  throw new RestError(
    300,
    'PGRST201',
    `Could not embed because more than one relationship was found for '${parent.name}' and '${name}'`,
    described,
    `Try changing '${name}' to one of the following: ${found.map((rel) => `'${rel.target.name}!${rel.constraint}'`).join(', ')}. Find the desired relationship in the 'details' key.`,
  );
}
