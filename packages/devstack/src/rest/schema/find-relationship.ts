// Resolving an embedded resource (`driver:profiles!shipments_driver_id_fkey(...)`)
// to one relationship, exactly as PostgREST 13's findRel (src/PostgREST/Plan.hs):
// by target table, constraint or column, narrowed by the `!hint`; a
// self-reference by its column (to-one) or the table name (to-many); PGRST200
// with PostgREST's fuzzy "Perhaps you meant" hint when nothing matches,
// PGRST201 listing the candidates when several do.
import { RestError } from '../errors';
import { FuzzySet } from './fuzzy';
import type { Cardinality, Relationship, RelationshipMap } from './relationships';

/** PGRST200, knowing which relationship was looked for (the cache may reload and look again). */
export class RelationshipNotFound extends RestError {
  constructor(
    readonly origin: string,
    readonly target: string,
    message: string,
    details: string,
    hint: string | null,
  ) {
    super(400, 'PGRST200', message, details, hint);
  }
}

function singleColumn(card: Cardinality, side: 0 | 1): string | null {
  if (card.kind === 'M2M' || card.columns.length !== 1) return null;
  return card.columns[0][side];
}

/**
 * The relationship `target` names from `origin`, narrowed by `hint`, exactly as
 * PostgREST 13's findRel: PGRST200 when none matches, PGRST201 when several do.
 */
export function findRelationship(
  rels: RelationshipMap,
  schema: string,
  origin: string,
  target: string,
  hint: string | null,
): Relationship {
  const found = (rels.get(origin) ?? []).filter((rel) => {
    if (rel.kind === 'computed') return target === rel.function.name;
    const card = rel.cardinality;
    const constraintIs = (name: string) => card.kind !== 'M2M' && card.constraint === name;
    if (rel.isSelf) {
      if (hint === null) {
        return (
          (target === rel.foreignTable.name && card.kind === 'O2M') ||
          (singleColumn(card, 0) === target && card.kind === 'M2O')
        );
      }
      return target === rel.foreignTable.name && card.kind === 'O2M' && singleColumn(card, 1) === hint;
    }
    if (hint === null) {
      return (
        target === rel.foreignTable.name ||
        (constraintIs(target) && !rel.foreignTableIsView) ||
        (singleColumn(card, 0) === target && !rel.foreignTableIsView)
      );
    }
    return (
      target === rel.foreignTable.name &&
      (constraintIs(hint) ||
        singleColumn(card, 0) === hint ||
        singleColumn(card, 1) === hint ||
        (card.kind === 'M2M' && card.junction.name === hint))
    );
  });
  if (found.length === 1) return found[0];
  if (found.length === 0) {
    throw new RelationshipNotFound(
      origin,
      target,
      `Could not find a relationship between '${origin}' and '${target}' in the schema cache`,
      `Searched for a foreign key relationship between '${origin}' and '${target}'${hint ? ` using the hint '${hint}'` : ''} in the schema '${schema}', but no matches were found.`,
      noRelationshipHint(rels, origin, target),
    );
  }
  throw new RestError(
    300,
    'PGRST201',
    `Could not embed because more than one relationship was found for '${origin}' and '${target}'`,
    found.map(describe),
    `Try changing '${target}' to one of the following: ${found.map(hintFor).join(', ')}. Find the desired relationship in the 'details' key.`,
  );
}

/** "Perhaps you meant 'x' instead of 'y'.": the origin when it has no relationships, else the target. */
function noRelationshipHint(rels: RelationshipMap, origin: string, target: string): string | null {
  const children = rels.get(origin);
  if (children) {
    const match = new FuzzySet(children.map((r) => r.foreignTable.name)).get(target).find((m) => m.score < 1);
    return match ? `Perhaps you meant '${match.value}' instead of '${target}'.` : null;
  }
  const parent = new FuzzySet(rels.keys()).getOne(origin);
  return parent ? `Perhaps you meant '${parent}' instead of '${origin}'.` : null;
}

function describe(rel: Relationship): Record<string, string> {
  if (rel.kind === 'computed') return {};
  const cols = (names: string[]) => `(${names.join(', ')})`;
  const embedding = `${rel.table.name} with ${rel.foreignTable.name}`;
  const c = rel.cardinality;
  if (c.kind === 'M2M') {
    return {
      cardinality: 'many-to-many',
      embedding,
      relationship: `${c.junction.name} using ${c.constraint1}${cols(c.sourceColumns.map(([, j]) => j))} and ${c.constraint2}${cols(c.targetColumns.map(([, j]) => j))}`,
    };
  }
  const names = { O2M: 'one-to-many', M2O: 'many-to-one', O2O: 'one-to-one' } as const;
  return {
    cardinality: names[c.kind],
    embedding,
    relationship: `${c.constraint} using ${rel.table.name}${cols(c.columns.map(([a]) => a))} and ${rel.foreignTable.name}${cols(c.columns.map(([, b]) => b))}`,
  };
}

function hintFor(rel: Relationship): string {
  if (rel.kind === 'computed') return '';
  const c = rel.cardinality;
  return `'${rel.foreignTable.name}!${c.kind === 'M2M' ? c.junction.name : c.constraint}'`;
}
