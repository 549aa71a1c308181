// Reads a table's columns from the generated database types
// (lib/database.types.ts, `npm run db:types`) with the TypeScript compiler API,
// so the generator sees exactly what the app's type checker sees.
import ts from 'typescript';

/** A column's type as the generated `Row` states it. */
export type ColumnType =
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'boolean' }
  | { kind: 'json' }
  | { kind: 'enum'; values: string[] }
  | { kind: 'array'; of: ColumnType };

export interface Column {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

function member(node: ts.TypeNode | undefined, name: string): ts.TypeNode | undefined {
  if (!node || !ts.isTypeLiteralNode(node)) return undefined;
  for (const m of node.members) {
    if (ts.isPropertySignature(m) && m.name && (m.name as ts.Identifier).text === name) return m.type;
  }
  return undefined;
}

function databaseType(source: ts.SourceFile): ts.TypeNode {
  for (const statement of source.statements) {
    if (ts.isTypeAliasDeclaration(statement) && statement.name.text === 'Database') return statement.type;
  }
  throw new Error('No `export type Database` in the types file: run `npm run db:types` first.');
}

function literalStrings(node: ts.TypeNode): string[] | null {
  const parts = ts.isUnionTypeNode(node) ? node.types : [node];
  const values: string[] = [];
  for (const part of parts) {
    if (ts.isLiteralTypeNode(part) && ts.isStringLiteral(part.literal)) values.push(part.literal.text);
    else return null;
  }
  return values;
}

function columnType(node: ts.TypeNode, enums: ts.TypeNode | undefined, where: string): ColumnType {
  if (ts.isArrayTypeNode(node)) return { kind: 'array', of: columnType(node.elementType, enums, where) };
  if (node.kind === ts.SyntaxKind.StringKeyword) return { kind: 'string' };
  if (node.kind === ts.SyntaxKind.NumberKeyword) return { kind: 'number' };
  if (node.kind === ts.SyntaxKind.BooleanKeyword) return { kind: 'boolean' };
  if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName) && node.typeName.text === 'Json') {
    return { kind: 'json' };
  }
  // Database["public"]["Enums"]["name"]
  if (ts.isIndexedAccessTypeNode(node) && ts.isLiteralTypeNode(node.indexType)) {
    const literal = node.indexType.literal;
    const name = ts.isStringLiteral(literal) ? literal.text : '';
    const values = member(enums, name);
    const strings = values && literalStrings(values);
    if (strings) return { kind: 'enum', values: strings };
  }
  const strings = literalStrings(node);
  if (strings) return { kind: 'enum', values: strings };
  const text = ts
    .createPrinter()
    .printNode(ts.EmitHint.Unspecified, node, ts.createSourceFile('x.ts', '', ts.ScriptTarget.Latest));
  throw new Error(`${where}: unsupported column type \`${text}\``);
}

/** The columns of `public.<table>`'s Row type, in the file's order. */
export function readColumns(typesSource: string, table: string, fileName = 'database.types.ts'): Column[] {
  const source = ts.createSourceFile(fileName, typesSource, ts.ScriptTarget.Latest, true);
  const pub = member(databaseType(source), 'public');
  const tables = member(pub, 'Tables');
  const row = member(member(tables, table), 'Row');
  if (!row || !ts.isTypeLiteralNode(row)) {
    throw new Error(
      `Table public.${table} is not in ${fileName}. Create it in a migration, restart the stack, then run \`npm run db:types\`.`,
    );
  }
  const enums = member(pub, 'Enums');
  return row.members.filter(ts.isPropertySignature).map((m) => {
    const name = (m.name as ts.Identifier).text;
    const type = m.type!;
    const parts = ts.isUnionTypeNode(type) ? type.types : [type];
    const nullable = parts.some((p) => ts.isLiteralTypeNode(p) && p.literal.kind === ts.SyntaxKind.NullKeyword);
    const rest = parts.filter((p) => !(ts.isLiteralTypeNode(p) && p.literal.kind === ts.SyntaxKind.NullKeyword));
    const core = rest.length === 1 ? rest[0] : ts.factory.createUnionTypeNode(rest);
    return { name, type: columnType(core, enums, `${table}.${name}`), nullable };
  });
}
