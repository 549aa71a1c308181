// A decoder for the pgoutput logical replication protocol (version 1), the
// messages that matter for Realtime: Begin, Commit, Relation, Insert, Update,
// Delete (Truncate, Type and Origin are recognised and skipped). Column values
// stay in Postgres' text format; values.ts turns them into JSON.

export interface RelationColumn {
  name: string;
  typeOid: number;
  typmod: number;
  isKey: boolean;
}

export interface Relation {
  id: number;
  schema: string;
  table: string;
  /** d = default (primary key), f = full, i = index, n = nothing */
  replicaIdentity: string;
  columns: RelationColumn[];
}

/** One column value: text, null, or undefined for an unchanged TOASTed value. */
export type TupleValue = string | null | undefined;

export type WalMessage =
  | { tag: 'begin'; commitTime: Date }
  | { tag: 'commit'; commitTime: Date; endLsn: bigint }
  | { tag: 'relation'; relation: Relation }
  | { tag: 'insert'; relationId: number; newTuple: TupleValue[] }
  | {
      tag: 'update';
      relationId: number;
      /** K = replica identity key columns only, O = the whole old row (REPLICA IDENTITY FULL). */
      oldKind: 'K' | 'O' | null;
      oldTuple: TupleValue[] | null;
      newTuple: TupleValue[];
    }
  | { tag: 'delete'; relationId: number; oldKind: 'K' | 'O'; oldTuple: TupleValue[] }
  | { tag: 'other' };

const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

function pgTime(micros: bigint): Date {
  return new Date(PG_EPOCH_MS + Number(micros / 1000n));
}

class Reader {
  offset = 0;
  constructor(private readonly buf: Buffer) {}
  u8(): number {
    return this.buf[this.offset++];
  }
  u16(): number {
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64BE(this.offset);
    this.offset += 8;
    return v;
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.offset);
    const text = this.buf.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return text;
  }
  text(length: number): string {
    const text = this.buf.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return text;
  }
  char(): string {
    return String.fromCharCode(this.u8());
  }
}

function tuple(r: Reader): TupleValue[] {
  const count = r.u16();
  const values: TupleValue[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const kind = r.char();
    if (kind === 'n') values[i] = null;
    else if (kind === 'u') values[i] = undefined;
    else values[i] = r.text(r.u32()); // 't' (text); 'b' needs the binary option, which we never ask for
  }
  return values;
}

export function decodePgoutput(message: Buffer): WalMessage {
  const r = new Reader(message);
  const tag = r.char();
  switch (tag) {
    case 'B': {
      r.u64(); // final LSN
      return { tag: 'begin', commitTime: pgTime(r.u64()) };
    }
    case 'C': {
      r.u8(); // flags
      r.u64(); // commit LSN
      const endLsn = r.u64();
      return { tag: 'commit', endLsn, commitTime: pgTime(r.u64()) };
    }
    case 'R': {
      const id = r.u32();
      const schema = r.cstring() || 'pg_catalog';
      const table = r.cstring();
      const replicaIdentity = r.char();
      const count = r.u16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < count; i++) {
        const flags = r.u8();
        columns.push({ isKey: (flags & 1) === 1, name: r.cstring(), typeOid: r.u32(), typmod: r.i32() });
      }
      return { tag: 'relation', relation: { id, schema, table, replicaIdentity, columns } };
    }
    case 'I': {
      const relationId = r.u32();
      r.char(); // 'N'
      return { tag: 'insert', relationId, newTuple: tuple(r) };
    }
    case 'U': {
      const relationId = r.u32();
      const kind = r.char();
      let oldKind: 'K' | 'O' | null = null;
      let oldTuple: TupleValue[] | null = null;
      if (kind === 'K' || kind === 'O') {
        oldKind = kind;
        oldTuple = tuple(r);
        r.char(); // 'N'
      }
      return { tag: 'update', relationId, oldKind, oldTuple, newTuple: tuple(r) };
    }
    case 'D': {
      const relationId = r.u32();
      const oldKind = r.char() === 'O' ? 'O' : 'K';
      return { tag: 'delete', relationId, oldKind, oldTuple: tuple(r) };
    }
    default:
      return { tag: 'other' };
  }
}
