/**
 * Tab completion of the interactive shell, like psql's and the duckdb CLI's: dot-commands at the start of a line,
 * report names after `.report`, tables and views after `.schema`, and in SQL the word under the cursor among the
 * tables and views, their columns (`bars.clo` → the columns of `bars`) and common keywords.
 *
 * The catalog (tables, views, columns) is read once at start and again after a statement that may change it
 * (CREATE, DROP, ALTER, ATTACH); completing is then synchronous, as readline's completer wants.
 */
import type { DuckDBConnection } from '../../core/duckdb.js';

export const DOT_COMMANDS = [
  '.tables',
  '.schema',
  '.reports',
  '.report',
  '.checks',
  '.mode',
  '.timer',
  '.help',
  '.quit',
  '.exit',
];

const KEYWORDS = [
  'select',
  'from',
  'where',
  'group by',
  'order by',
  'having',
  'limit',
  'with',
  'join',
  'left join',
  'on',
  'using',
  'as',
  'and',
  'or',
  'not',
  'distinct',
  'count',
  'describe',
  'summarize',
  'qualify',
  'window',
  'over',
  'partition by',
];

/** True when a statement may change the catalog, so that completion should read it again. */
export function changesCatalog(sql: string): boolean {
  return /^\s*(create|drop|alter|attach|detach)\b/i.test(sql);
}

export class Completer {
  private tables: string[] = [];
  private columns = new Map<string, string[]>();

  constructor(private readonly reports: () => string[]) {}

  /** Reads the tables, views and their columns from DuckDB's catalog. */
  async load(conn: DuckDBConnection): Promise<void> {
    const r = await conn.runAndReadAll(
      `select table_name, column_name from information_schema.columns
       where table_schema = 'main' order by table_name, ordinal_position`,
    );
    const columns = new Map<string, string[]>();
    for (const [t, c] of r.getRows() as [string, string][]) {
      if (!columns.has(t)) columns.set(t, []);
      columns.get(t)?.push(c);
    }
    this.columns = columns;
    this.tables = [...columns.keys()].sort();
  }

  /** readline's completer: candidates for the text before the cursor, and the part of it they replace. */
  complete(line: string): [string[], string] {
    const dot = /^\s*(\.\w*)$/.exec(line);
    if (dot) return [match(DOT_COMMANDS, dot[1]).map((c) => `${c} `), dot[1]];
    const arg = /^\s*(\.\w+)\s+(\S*)$/.exec(line);
    if (arg) {
      const [, cmd, word] = arg;
      const options =
        cmd === '.report'
          ? this.reports()
          : cmd === '.schema'
            ? this.tables
            : cmd === '.mode'
              ? ['table', 'csv', 'json']
              : cmd === '.timer'
                ? ['on', 'off']
                : [];
      return [match(options, word), word];
    }
    if (/^\s*\./.test(line)) return [[], ''];
    const word = /[A-Za-z0-9_."]*$/.exec(line)?.[0] ?? '';
    const qualified = /^"?([A-Za-z0-9_]+)"?\.("?[A-Za-z0-9_]*)$/.exec(word);
    if (qualified) {
      const [, table, col] = qualified;
      const cols = this.columns.get(table) ?? this.columns.get(table.toLowerCase()) ?? [];
      return [match(cols, col.replace(/^"/, '')).map((c) => `${table}.${c}`), word];
    }
    const bare = word.replace(/^"/, '');
    const all = [...new Set([...this.tables, ...[...this.columns.values()].flat(), ...KEYWORDS])];
    return [match(all, bare).sort(), word];
  }
}

function match(options: string[], prefix: string): string[] {
  const p = prefix.toLowerCase();
  return options.filter((o) => o.toLowerCase().startsWith(p));
}
