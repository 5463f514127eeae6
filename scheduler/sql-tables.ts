/**
 * Which tables a query reads, from the SQL itself: DuckDB's `json_serialize_sql` parses the statement (without
 * running or binding it) into its syntax tree, and every `BASE_TABLE` reference in that tree that is not a CTE of the
 * query is a table or view it reads. Views (sql/views/) are expanded the same way, so a file that reads `bars_1h`
 * also reads `bars`: a check of `bars` gates it.
 *
 * Only SELECT statements can be serialized; a scheduled file is one SELECT (with CTEs), which is what reports,
 * checks and models are.
 */
import type { DuckDBConnection } from '../core/duckdb.js';

/** Relation names read by one SELECT statement, lower case, CTE names left out. */
export async function tablesRead(conn: DuckDBConnection, sql: string): Promise<Set<string>> {
  const r = await conn.runAndReadAll('select json_serialize_sql($q::varchar)', { q: stripTrailingSemicolon(sql) });
  const tree = JSON.parse(String(r.getRows()[0][0])) as Record<string, unknown>;
  if (tree.error) throw new Error(String(tree.error_message ?? 'cannot parse the statement'));
  const tables = new Set<string>();
  const ctes = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) {
      for (const x of n) walk(x);
      return;
    }
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string') tables.add(o.table_name.toLowerCase());
    const cteMap = o.cte_map as { map?: { key?: string }[] } | undefined;
    for (const e of cteMap?.map ?? []) if (typeof e.key === 'string') ctes.add(e.key.toLowerCase());
    for (const v of Object.values(o)) walk(v);
  };
  walk(tree);
  for (const c of ctes) tables.delete(c);
  return tables;
}

function stripTrailingSemicolon(sql: string): string {
  return sql.replace(/;\s*$/, '');
}

/** `create [or replace] view NAME as SELECT ...` → the SELECT, or undefined when the file is not of that form. */
export function viewSelect(viewSql: string): { name: string; select: string } | undefined {
  const code = viewSql.replace(/--[^\n]*/g, ' ');
  const m = /create\s+(?:or\s+replace\s+)?view\s+("?)([A-Za-z_][\w]*)\1\s+as\s+([\s\S]*)$/i.exec(code);
  return m ? { name: m[2].toLowerCase(), select: m[3] } : undefined;
}

/**
 * The tables a query reads, directly and through views: `views` maps a view name to what it reads directly.
 * Returns every name met (views and the tables under them).
 */
export function expandViews(direct: Set<string>, views: Map<string, Set<string>>): Set<string> {
  const out = new Set<string>();
  const stack = [...direct];
  while (stack.length) {
    const t = stack.pop() as string;
    if (out.has(t)) continue;
    out.add(t);
    for (const u of views.get(t) ?? []) stack.push(u);
  }
  return out;
}
