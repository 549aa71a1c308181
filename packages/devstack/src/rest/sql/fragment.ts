// A tiny SQL builder: text with numbered placeholders plus the values bound to
// them. Identifiers are only ever emitted through `ident` (quoted), values only
// through `param`; nothing a client sends is spliced into SQL text.

export type SqlValue = string | null;

export class SqlParams {
  readonly values: SqlValue[] = [];

  /**
   * Binds a value and returns its placeholder, always declared as text
   * (`$n::text`): the client then sends the string untouched (it would
   * otherwise re-encode it for the inferred type: JSON.stringify for json,
   * 't'/'f' for booleans, Date parsing for timestamps). Callers cast to the
   * column's type with `typed`.
   */
  add(value: SqlValue): string {
    this.values.push(value);
    return `$${this.values.length}::text`;
  }

  /** A bound value cast from text to a type named by the catalog (never by the request). */
  typed(value: SqlValue, type: string): string {
    return type === 'text' ? this.add(value) : `${this.add(value)}::${type}`;
  }
}

/** Quotes an identifier as Postgres does (double quotes, embedded quotes doubled). */
export function ident(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifier contains a NUL byte');
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

/** A type name for a cast, from a closed alphabet so that it cannot carry SQL. */
export function castType(type: string): string | null {
  return /^[a-z_][a-z0-9_]*(\[\])?$/i.test(type) ? type : null;
}
