/**
 * The `ticklake shell` loop: SQL statements ended by `;` (may span lines) and dot-commands, over one DuckDB
 * connection of an unconfined lake session (the local analyst may also create tables or COPY files).
 *
 * Interactive (a TTY): prompts, line editing and history (arrow keys; kept in `~/.ticklake_history`), Tab
 * completion (completion.ts). Ctrl-C behaves as in psql and the duckdb CLI: while typing it discards the line and any
 * unfinished statement and prompts again; while a statement runs it cancels it (DuckDB's interrupt) and the shell
 * stays open; Ctrl-D or `.quit` leaves.
 * Piped (`echo "select 1;" | ticklake shell`): no prompts, results on stdout, errors on stderr, and the exit
 * code is 1 when any statement failed, so scripts can tell.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { barWindows } from '../../api/live/symbols.js';
import type { DuckDBConnection, DuckDBValue } from '../../core/duckdb.js';
import { isTicklakeError } from '../../core/errors.js';
import { runChecks, runSqlFile } from '../../lake/run-sql-file.js';
import type { LakeSession } from '../../lake/session.js';
import type { SqlCatalog } from '../../lake/sql-catalog.js';
import { parseKeyValues } from '../../lake/sql-params.js';
import { sqlIdent } from '../../lake/sql-quote.js';
import { LAKE_TABLES } from '../../lake/tables.js';
import { windowMissing, withDefaults } from '../../lake/window-requirements.js';
import { type OutputMode, outputMode, render, type TextResult } from '../output/render.js';
import { Completer, changesCatalog } from './completion.js';
import { StatementBuffer } from './statements.js';

export interface ShellIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { isTTY?: boolean };
  error: NodeJS.WritableStream;
  interactive: boolean;
  historyFile?: string;
}

const HELP = `Statements end with ";" and may span lines. Commands:
  .tables                 lake tables and views
  .schema TABLE           columns of a table or view
  .reports                report catalog
  .report NAME [k=v ...]  run a report with parameters
  .checks                 run every data quality check (PASS/FAIL)
  .mode table|csv|json    output format
  .timer on|off           print each statement's run time
  .help                   this text
  .quit                   leave (also Ctrl-D)
Tab completes commands, report names, tables, views and columns. Ctrl-C clears the line, or cancels the running
statement.`;

/** Most rows the shell prints for one statement (the rest is counted, not shown). */
const DISPLAY_ROWS = 10_000;

export class Shell {
  private mode: OutputMode = 'table';
  private timer = false;
  private failures = 0;
  /** A statement or command is running (Ctrl-C cancels it rather than clearing the line). */
  private busy = false;
  private interrupted = false;
  private readonly completer = new Completer(() => this.reports.list().map((r) => r.name));

  constructor(
    private readonly session: LakeSession,
    private readonly conn: DuckDBConnection,
    private readonly reports: SqlCatalog,
    private readonly checks: SqlCatalog,
    private readonly io: ShellIo,
  ) {}

  private out(text: string): void {
    this.io.output.write(`${text}\n`);
  }

  private fail(e: unknown): void {
    if (this.interrupted && /INTERRUPT|Interrupted/.test(String((e as Error)?.message ?? e))) {
      this.io.error.write('Cancelled (Ctrl-C)\n');
      return;
    }
    this.failures++;
    const msg = isTicklakeError(e) ? `${e.message} [${e.code}]` : ((e as Error).message ?? String(e));
    this.io.error.write(`Error: ${msg}\n`);
  }

  private show(result: TextResult, total: number, ms: number): void {
    this.out(render(this.mode, result));
    if (total > result.rows.length) this.out(`(${total} rows, first ${result.rows.length} shown)`);
    if (this.timer) this.out(`Run Time: ${(ms / 1000).toFixed(3)} s`);
  }

  async statement(sql: string): Promise<void> {
    const t0 = performance.now();
    await this.session.refresh();
    const result = await this.conn.stream(sql);
    const columns = result.columnNames();
    const rows: DuckDBValue[][] = [];
    let total = 0;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      total += chunk.rowCount;
      if (rows.length < DISPLAY_ROWS) rows.push(...chunk.getRows().slice(0, DISPLAY_ROWS - rows.length));
    }
    if (changesCatalog(sql)) await this.completer.load(this.conn).catch(() => {});
    if (columns.length === 0) return;
    this.show({ columns, rows }, total, performance.now() - t0);
  }

  /** Runs one statement or command with Ctrl-C cancelling it. */
  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    this.busy = true;
    this.interrupted = false;
    try {
      return await work();
    } finally {
      this.busy = false;
    }
  }

  /** Ctrl-C: cancel what runs, else discard the line being typed and any unfinished statement. */
  private onInterrupt(rl: import('node:readline').Interface, buffer: StatementBuffer): void {
    if (this.busy) {
      this.interrupted = true;
      this.conn.interrupt();
      return;
    }
    const editable = rl as unknown as { line: string; cursor: number };
    editable.line = '';
    editable.cursor = 0;
    buffer.flush();
    this.io.output.write('^C\n');
    rl.setPrompt('ticklake> ');
    rl.prompt();
  }

  async command(line: string): Promise<boolean> {
    const [cmd, ...args] = words(line);
    const t0 = performance.now();
    switch (cmd) {
      case '.quit':
      case '.exit':
        return false;
      case '.help':
        this.out(HELP);
        break;
      case '.tables':
        this.show(
          {
            columns: ['name', 'kind'],
            rows: this.session.viewNames().map((n) => [n, LAKE_TABLES.some((t) => t.name === n) ? 'table' : 'view']),
          },
          0,
          performance.now() - t0,
        );
        break;
      case '.schema': {
        if (!args[0]) throw new Error('usage: .schema TABLE');
        await this.statement(`describe ${sqlIdent(args[0])}`);
        break;
      }
      case '.reports':
        this.show(
          {
            columns: ['name', 'title', 'params'],
            rows: this.reports
              .list()
              .map((r) => [
                r.name,
                r.title,
                r.params.map((p) => `${p.name}${p.required ? '' : '?'}:${p.type}`).join(' '),
              ]),
          },
          0,
          performance.now() - t0,
        );
        break;
      case '.report': {
        if (!args[0]) throw new Error('usage: .report NAME [name=value ...]');
        // `k=v` as on the command line (`ticklake report NAME k=v`); `--param k=v` is taken too
        const kv = args.slice(1).flatMap((a) => (a === '--param' ? [] : [a.replace(/^--param=/, '')]));
        const file = this.reports.get(args[0]);
        // a report needing a window the lake has none of is refused, not shown empty (docs/reports.md, "Windows")
        const params = parseKeyValues(kv);
        const windows = await barWindows(this.session.lakeDir);
        const missing = windowMissing(
          'report',
          file.name,
          this.reports.needs(file.name),
          windows,
          withDefaults(file, params),
        );
        if (missing) throw missing;
        const q = await runSqlFile(this.session, file, params);
        const columns = q.columns.map((c) => c.name);
        const rows = await q.all();
        this.show({ columns, rows }, rows.length, performance.now() - t0);
        break;
      }
      case '.checks': {
        const results = await runChecks(this.session, this.checks);
        this.show(
          {
            columns: ['check', 'result', 'violations', 'title'],
            rows: results.map((r) => [r.name, r.passed ? 'PASS' : 'FAIL', r.violations, r.title]),
          },
          0,
          performance.now() - t0,
        );
        break;
      }
      case '.mode':
        if (!args[0]) this.out(this.mode);
        else this.mode = outputMode(args[0], '.mode');
        break;
      case '.timer':
        if (args[0] !== 'on' && args[0] !== 'off') throw new Error('usage: .timer on|off');
        this.timer = args[0] === 'on';
        break;
      default:
        throw new Error(`unknown command ${cmd}; try .help`);
    }
    return true;
  }

  /** Runs until the input ends or `.quit`; returns the exit code. */
  async run(): Promise<number> {
    const { interactive } = this.io;
    const history = interactive && this.io.historyFile ? loadHistory(this.io.historyFile) : [];
    if (interactive) await this.completer.load(this.conn).catch(() => {});
    const rl = createInterface({
      input: this.io.input,
      output: interactive ? this.io.output : undefined,
      terminal: interactive,
      history,
      historySize: 1000,
      prompt: 'ticklake> ',
      completer: interactive ? (line: string) => this.completer.complete(line) : undefined,
    });
    const buffer = new StatementBuffer();
    if (interactive) {
      rl.on('SIGINT', () => this.onInterrupt(rl, buffer));
      this.out('ticklake shell: views over the lake are loaded. End statements with ";". .help for commands.');
      rl.prompt();
    }
    const handle = async (line: string): Promise<boolean> => {
      if (!buffer.pending && line.trim().startsWith('.')) {
        remember(this.io.historyFile, interactive, line);
        try {
          return await this.guarded(() => this.command(line));
        } catch (e) {
          this.fail(e);
        }
        return true;
      }
      for (const stmt of buffer.push(line)) {
        remember(this.io.historyFile, interactive, stmt.replaceAll('\n', ' '));
        try {
          await this.guarded(() => this.statement(stmt));
        } catch (e) {
          this.fail(e);
        }
      }
      return true;
    };
    let going = true;
    for await (const line of rl) {
      going = await handle(line);
      if (!going) break;
      if (interactive) {
        rl.setPrompt(buffer.pending ? '     ...> ' : 'ticklake> ');
        rl.prompt();
      }
    }
    // piped input may end without a final ";"; typed input that was not ended is not run (as in psql)
    const rest = buffer.flush();
    if (!interactive && going && rest && !/^(\s|--[^\n]*\n?)*$/.test(rest)) {
      try {
        await this.statement(rest);
      } catch (e) {
        this.fail(e);
      }
    }
    rl.close();
    return !interactive && this.failures > 0 ? 1 : 0;
  }
}

/** Splits a dot-command into words; quotes keep spaces: `.report x from="2026-01-05 10:00"`. */
export function words(line: string): string[] {
  return [...line.trim().matchAll(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g)].map((m) =>
    m[0].replace(/"([^"]*)"|'([^']*)'/g, '$1$2'),
  );
}

function loadHistory(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 1000);
  } catch {
    return [];
  }
}

function remember(file: string | undefined, interactive: boolean, entry: string): void {
  if (!interactive || !file) return;
  try {
    appendFileSync(file, `${entry}\n`);
  } catch {
    // history is a convenience; a read-only home must not break the shell
  }
}
