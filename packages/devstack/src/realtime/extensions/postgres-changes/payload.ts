import { TRUNCATED_VALUE_BYTES } from '../../constants';
import type { RoleView, TableInfo } from './catalog';
import type { Image, RowChange } from './row-images';
import { encodeJsonText, type ValueBatch, type ValueTicket } from './values';

// The `data` of a postgres_changes event, as WALRUS (realtime.apply_rls)
// shapes it for one role and one column selection: schema, table,
// commit_timestamp, type, columns, errors, record / old_record. Built as JSON
// text, so values keep their exact to_jsonb text (int8, numeric digits).

/** Per change: the JSON text of each column value of its images. */
export class RenderedImages {
  private readonly tickets = new Map<Image, Map<string, ValueTicket>>();

  constructor(
    private readonly table: TableInfo,
    private readonly values: ValueBatch,
  ) {}

  /** Queues the values only to_jsonb can render (run the ValueBatch before json()). */
  prepare(image: Image | null): void {
    if (!image || this.tickets.has(image)) return;
    const tickets = new Map<string, ValueTicket>();
    for (const [name, text] of image) {
      const column = this.table.byName.get(name);
      if (!column || text === null || encodeJsonText(text, column.jsonKind) !== null) continue;
      tickets.set(name, this.values.request(column.castType, text));
    }
    this.tickets.set(image, tickets);
  }

  json(image: Image, name: string): string {
    const text = image.get(name);
    if (text === null || text === undefined) return 'null';
    const column = this.table.byName.get(name);
    const direct = column ? encodeJsonText(text, column.jsonKind) : JSON.stringify(text);
    if (direct !== null) return direct;
    const ticket = this.tickets.get(image)?.get(name);
    return ticket ? this.values.result(ticket) : JSON.stringify(text);
  }
}

export interface PayloadInput {
  change: RowChange;
  table: TableInfo;
  commitTimestamp: string;
  newImage: Image | null;
  oldImage: Image | null;
  rendered: RenderedImages;
}

/** `data` for a delivery that failed before RLS (no primary key, no access to it). */
export function errorData(input: PayloadInput, error: string): string {
  const { table, change, commitTimestamp } = input;
  return JSON.stringify({
    schema: table.schema,
    table: table.table,
    commit_timestamp: commitTimestamp,
    type: change.type,
    errors: [error],
  });
}

/** `data` as one role sees it, with `select` (plus the primary key) when given. */
export function changeData(
  input: PayloadInput,
  view: RoleView,
  select: string[] | null,
  maxRecordBytes: number,
): string {
  const { change, table, newImage, oldImage, rendered } = input;
  const shown = (name: string) => {
    const column = table.byName.get(name);
    return !!column && view.selectable.has(name) && (!select || select.includes(name) || column.isPk);
  };
  const size = [newImage, oldImage].reduce(
    (n, img) => n + [...(img?.values() ?? [])].reduce((m, v) => m + (v?.length ?? 0), 0),
    0,
  );
  const tooLarge = size > maxRecordBytes;
  const record = (img: Image | null, only?: (name: string) => boolean): string => {
    const parts: string[] = [];
    for (const column of change.relation.columns) {
      if (!img?.has(column.name) || !shown(column.name) || (only && !only(column.name))) continue;
      const text = img.get(column.name);
      if (tooLarge && (text?.length ?? 0) > TRUNCATED_VALUE_BYTES) continue;
      parts.push(`${JSON.stringify(column.name)}:${rendered.json(img, column.name)}`);
    }
    return `{${parts.join(',')}}`;
  };
  const isPk = (name: string) => table.byName.get(name)?.isPk ?? false;
  const columns = table.columns.filter((c) => shown(c.name)).map((c) => ({ name: c.name, type: c.typeName }));
  const head = JSON.stringify({
    schema: table.schema,
    table: table.table,
    commit_timestamp: input.commitTimestamp,
    type: change.type,
    columns,
    errors: tooLarge ? ['Error 413: Payload Too Large'] : null,
  });
  const tail: string[] = [];
  if (change.type !== 'DELETE') tail.push(`"record":${record(newImage)}`);
  if (change.type === 'UPDATE') tail.push(`"old_record":${oldImage ? record(oldImage) : record(newImage, isPk)}`);
  if (change.type === 'DELETE') {
    // With RLS on a table, a delete cannot be secured: only the primary key is sent.
    const keyOnly = table.rlsEnabled || change.relation.replicaIdentity !== 'f';
    tail.push(`"old_record":${record(oldImage, keyOnly ? isPk : undefined)}`);
  }
  return `${head.slice(0, -1)},${tail.join(',')}}`;
}
