/**
 * The one place that quotes text for DuckDB SQL: a string literal (paths in COPY and read_parquet cannot be bound
 * parameters) and an identifier (table and column names that vary). Values are otherwise always bound.
 */

/** Puts text inside a single-quoted SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Quotes an identifier. */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
