import { PgParser } from '@supabase/pg-parser';

/** One statement of a SQL file: its text and the 1-based line its first token is on. */
export interface SqlStatement {
  text: string;
  line: number;
  /** Character offset of the statement's text in the file. */
  offset: number;
}

const parsers = new Map<number, PgParser<15 | 16 | 17>>();

function parserFor(majorVersion: number): PgParser<15 | 16 | 17> {
  // The grammar of the server's major version; newer servers get the newest the package has.
  const version = majorVersion <= 15 ? 15 : majorVersion === 16 ? 16 : 17;
  let parser = parsers.get(version);
  if (!parser) {
    parser = new PgParser({ version });
    parsers.set(version, parser);
  }
  return parser;
}

/** Skips whitespace and comments, so a statement's line is that of its first token. */
function firstTokenOffset(text: string): number {
  let i = 0;
  for (;;) {
    const rest = text.slice(i);
    const skipped = /^(\s+|--[^\n]*|\/\*[\s\S]*?\*\/)/.exec(rest);
    if (!skipped) return i;
    i += skipped[0].length;
  }
}

/**
 * Splits a SQL file into its statements with Postgres's own parser (Supabase's
 * libpg_query build, @supabase/pg-parser), so each can run and fail on its own
 * and a failure can name its line, as the Supabase CLI names the statement.
 * Returns null when the file does not parse: the server then reports the
 * syntax error itself, with its position.
 */
export async function splitStatements(sql: string, majorVersion: number): Promise<SqlStatement[] | null> {
  const { tree, error } = await parserFor(majorVersion).parse(sql);
  if (error) return null;
  const bytes = Buffer.from(sql, 'utf8');
  const statements: SqlStatement[] = [];
  for (const { stmt_location: start = 0, stmt_len: length = 0 } of tree.stmts ?? []) {
    // libpg_query gives byte offsets; a length of 0 means "to the end".
    const end = length === 0 ? bytes.length : start + length;
    const offset = bytes.subarray(0, start).toString('utf8').length;
    const raw = bytes.subarray(start, end).toString('utf8');
    const lead = firstTokenOffset(raw);
    statements.push({
      text: raw,
      offset,
      line: sql.slice(0, offset + lead).split('\n').length,
    });
  }
  return statements;
}
