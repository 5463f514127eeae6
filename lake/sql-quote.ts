/** Quoting for SQL text that ticklake builds itself: string literals and identifiers. */

/** The one helper that puts text inside a single-quoted SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The one helper that quotes an identifier. */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
