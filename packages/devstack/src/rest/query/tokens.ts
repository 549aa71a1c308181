// Lexical helpers shared by the select, filter and order parsers: PostgREST's
// query-string syntax nests with parentheses and quotes with double quotes
// (a backslash escapes the next character inside quotes).

/** A step of a JSON path on a column: `->key` (json) or `->>key` (text). */
export interface JsonPathStep {
  arrow: '->' | '->>';
  key: string;
}

/** A column reference, optionally followed by a JSON path (`record->>status`). */
export interface FieldRef {
  name: string;
  path: JsonPathStep[];
}

export class SyntaxProblem extends Error {}

/** Splits on `separator` where it is outside parentheses, braces and double quotes. */
export function splitTopLevel(input: string, separator = ','): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (quoted) {
      current += ch;
      if (ch === '\\' && i + 1 < input.length) current += input[++i];
      else if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === '(' || ch === '{') depth++;
    else if (ch === ')' || ch === '}') {
      depth--;
      if (depth < 0) throw new SyntaxProblem(`unexpected "${ch}"`);
    } else if (ch === separator && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (quoted) throw new SyntaxProblem('unterminated double quote');
  if (depth !== 0) throw new SyntaxProblem('unbalanced parentheses');
  parts.push(current);
  return parts;
}

/** Removes surrounding double quotes and backslash escapes, if the text is quoted. */
export function unquote(text: string): string {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    return text.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return text;
}

/**
 * Reads a column name with an optional JSON path from the start of `text`:
 * `name`, `"quoted name"`, `data->a->>b`. Returns the field and the rest.
 */
export function readField(text: string): { field: FieldRef; rest: string } {
  const head = readName(text);
  if (!head) throw new SyntaxProblem(`expected a column name at "${text}"`);
  let rest = head.rest;
  const path: JsonPathStep[] = [];
  while (rest.startsWith('->')) {
    const arrow = rest.startsWith('->>') ? '->>' : '->';
    rest = rest.slice(arrow.length);
    const key = readName(rest);
    if (!key) throw new SyntaxProblem(`expected a JSON key after "${arrow}"`);
    path.push({ arrow, key: key.name });
    rest = key.rest;
  }
  return { field: { name: head.name, path }, rest };
}

const stopChars = new Set([',', '.', ':', '(', ')', '!', '"', "'", ' ', '\t', '\n', '\r']);

/** A bare name (up to a delimiter or an arrow) or a double-quoted one. */
export function readName(text: string): { name: string; rest: string } | null {
  if (text.startsWith('"')) {
    let i = 1;
    let name = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      name += text[i++];
    }
    if (i >= text.length) throw new SyntaxProblem('unterminated double quote');
    return name ? { name, rest: text.slice(i + 1) } : null;
  }
  let i = 0;
  while (i < text.length && !stopChars.has(text[i]) && !(text[i] === '-' && text[i + 1] === '>')) i++;
  return i === 0 ? null : { name: text.slice(0, i), rest: text.slice(i) };
}
