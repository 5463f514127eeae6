/**
 * `-- requires_window:` (lake/sql-header.ts) and its resolution through views (lake/window-requirements.ts;
 * docs/reports.md, "Windows"): the header line of reports, checks and models, the one key read among a view's
 * comments, errors with file:line, and the requirement a file inherits from the views (and table macros) it reads,
 * found from its SQL. The bundled files' requirements are checked against what their SQL filters on.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorText as err } from '../../test/helpers/error-text.js';
import { UserSqlDir } from '../../test/helpers/user-sql-dir.js';
import { SqlCatalog } from '../sql-catalog.js';
import { listSqlFiles } from '../sql-dirs.js';
import { parseSqlFile, readViewRequirement } from '../sql-header.js';
import { namesRead, unmetClauses, WindowRequirements } from '../window-requirements.js';

const report = (extra: string, sql = 'select 1 as one') => `-- title: T\n-- description: D\n${extra}${sql}\n`;

describe('the requires_window header line', () => {
  it('reads "at least one of" windows with its line', () => {
    const f = parseSqlFile('r.sql', report('-- requires_window: 1m | 1d\n'));
    expect(f.requiresWindow).toEqual({ windows: ['1m', '1d'], line: 3 });
    expect(parseSqlFile('r.sql', report('')).requiresWindow).toBeUndefined();
  });

  it('names file:line for a label that is not a window, an empty list, a repeat, twice, or a misspelt key', () => {
    expect(err(() => parseSqlFile('sql/reports/r.sql', report('-- requires_window: 1m | 7m\n')))).toBe(
      'TL_SQL_BAD_HEADER sql/reports/r.sql:3: requires_window: "7m" is not a window (a window must divide a day ' +
        '(or be whole days) so that windows align to UTC midnight)',
    );
    expect(err(() => parseSqlFile('r.sql', report('-- requires_window: minute\n')))).toMatch(
      /^TL_SQL_BAD_HEADER r\.sql:3: requires_window: "minute" is not a window \(expected a duration/,
    );
    expect(err(() => parseSqlFile('r.sql', report('-- requires_window:\n')))).toMatch(
      /r\.sql:3: requires_window must list/,
    );
    expect(err(() => parseSqlFile('r.sql', report('-- requires_window: 1m ||\n')))).toMatch(
      /r\.sql:3: requires_window must list/,
    );
    expect(err(() => parseSqlFile('r.sql', report('-- requires_window: 1m | 1m\n')))).toMatch(
      /r\.sql:3: .*"1m" listed twice/,
    );
    expect(err(() => parseSqlFile('r.sql', report('-- requires_window: 1m\n-- requires_window: 1d\n')))).toMatch(
      /r\.sql:4: requires_window given twice/,
    );
    // a hyphen would otherwise be read as more description and the line silently ignored
    expect(err(() => parseSqlFile('r.sql', report('-- requires-window: 1m\n')))).toBe(
      'TL_SQL_BAD_HEADER r.sql:3: write "requires_window:", not "requires-window:"',
    );
  });

  it('names a varchar parameter with $name: the window asked for, its default, else any window of the lake', () => {
    const f = parseSqlFile(
      'r.sql',
      report('-- param: window varchar optional Window\n-- requires_window: $window\n', 'select $window as w'),
    );
    expect(f.requiresWindow).toEqual({ windows: [], param: 'window', line: 4 });
    expect(err(() => parseSqlFile('r.sql', report('-- requires_window: $window\n')))).toBe(
      'TL_SQL_BAD_HEADER r.sql:3: requires_window: $window must be a declared varchar parameter',
    );
    const clause = { windows: [], param: 'window', file: 'r.sql', line: 4, via: [] };
    expect(unmetClauses([clause], ['5m', '1d'], { window: '1m' })).toEqual([clause]);
    expect(unmetClauses([clause], ['5m', '1d'], { window: '1d' })).toEqual([]);
    expect(unmetClauses([clause], ['5m'], {})).toEqual([]);
    expect(unmetClauses([clause], [], {})).toEqual([clause]);
    expect(err(() => readViewRequirement('v.sql', '-- requires_window: $w\nselect 1'))).toMatch(
      /v\.sql:1: a view has no parameters/,
    );
  });

  it('is the one key read among the comments of a view file', () => {
    const view = '-- The hourly bars: a note: with a colon.\n-- requires_window: 1m\ncreate view v as select 1;\n';
    expect(readViewRequirement('v.sql', view)).toEqual({ windows: ['1m'], line: 2 });
    expect(readViewRequirement('v.sql', 'create view v as select 1; -- requires_window: 1m\n')).toBeUndefined();
    expect(err(() => readViewRequirement('sql/views/v.sql', '-- x\n-- requires_window: 7m\nselect 1'))).toMatch(
      /^TL_SQL_BAD_HEADER sql\/views\/v\.sql:2: requires_window: "7m" is not a window/,
    );
    // the line as docs/reports.md shows it, with a trailing comment, in a view and in a report
    const documented = '-- requires_window: 1m | 1d        -- bars of at least one of these windows\n';
    expect(readViewRequirement('v.sql', `${documented}create view v as select 1;\n`)).toEqual({
      windows: ['1m', '1d'],
      line: 1,
    });
    expect(parseSqlFile('r.sql', report(documented)).requiresWindow).toEqual({ windows: ['1m', '1d'], line: 3 });
    expect(err(() => readViewRequirement('v.sql', '-- requires window: 1m\nselect 1'))).toMatch(
      /v\.sql:1: write "requires_window:"/,
    );
  });
});

describe('what a file reads, from its SQL', () => {
  const known = new Set(['bars_1h', 'closes_daily']);
  it('finds view names in the code, not in comments, strings, qualified columns or aliases', () => {
    expect(namesRead('select * from bars_1h join closes_daily c using (symbol)', known)).toEqual(
      new Set(['bars_1h', 'closes_daily']),
    );
    expect(namesRead("select 'bars_1h' as x, t.bars_1h, count(*) as closes_daily from t -- bars_1h", known)).toEqual(
      new Set(),
    );
  });
});

let sql: UserSqlDir;
let dir: string;
const write = (kind: string, name: string, text: string) => sql.write(kind, name, text);
beforeEach(() => {
  sql = UserSqlDir.create('tl-winreq-', ['views', 'reports']);
  dir = sql.dir;
});
afterEach(() => sql.remove());

describe('requirements through views', () => {
  it('a report inherits from a view of a view, and from a table macro a view file creates', () => {
    write(
      'views',
      'quarter_bars',
      "-- requires_window: 15m | 1h\ncreate view quarter_bars as select * from bars where \"window\" in ('15m', '1h');",
    );
    write(
      'views',
      'quarter_closes',
      'create or replace view quarter_closes as select symbol, close from quarter_bars;',
    );
    write(
      'views',
      'quarter_macro',
      '-- requires_window: 1d\ncreate or replace macro day_closes_as_of(t) as table select * from bars where "window" = \'1d\';',
    );
    write('reports', 'a', report('', 'select * from quarter_closes'));
    write('reports', 'b', report('-- requires_window: 5m\n', 'select * from day_closes_as_of(now())'));
    const c = SqlCatalog.load('report', { sqlDirs: [dir] });
    expect(c.needs('a')).toEqual([
      {
        windows: ['15m', '1h'],
        file: expect.stringMatching(/views\/quarter_bars\.sql$/),
        line: 1,
        via: ['quarter_closes', 'quarter_bars'],
      },
    ]);
    expect(c.needs('b').map((x) => [x.windows, x.line, x.via])).toEqual([
      [['5m'], 3, []],
      [['1d'], 1, ['quarter_macro']],
    ]);
    // every clause must hold: 5m alone leaves the macro's 1d unmet
    expect(unmetClauses(c.needs('b'), ['5m']).map((x) => x.windows)).toEqual([['1d']]);
    expect(unmetClauses(c.needs('b'), ['5m', '1d'])).toEqual([]);
  });

  it('a view whose requires_window line is malformed breaks the reports that read it (file:line), and mending it mends them', () => {
    write('views', 'odd', '-- requires_window: 7m\ncreate view odd as select 1 as x;');
    write('reports', 'over-odd', report('', 'select * from odd'));
    write('reports', 'plain', report(''));
    const c = SqlCatalog.load('report', { sqlDirs: [dir], onBroken: () => {} });
    expect(c.list().map((f) => f.name)).toContain('plain');
    expect(c.broken().map((b) => [b.name, b.line, b.error.message])).toEqual([
      ['over-odd', 1, expect.stringMatching(/views\/odd\.sql:1: requires_window: "7m" is not a window/)],
    ]);
    expect(() => c.get('over-odd')).toThrow(/odd\.sql:1/);
    write('views', 'odd', '-- requires_window: 6m\ncreate view odd as select 1 as x;');
    c.refresh();
    expect(c.broken()).toEqual([]);
    expect(c.needs('over-odd').map((x) => x.windows)).toEqual([['6m']]);
  });
});

describe('the bundled SQL files', () => {
  it('every file that filters bars on a window declares it, directly or through a view', () => {
    // independent of the resolver: the window literals each file's own SQL filters "window" on (an `order by
    // "window" = '1d' desc` is a preference among the rows, not a filter)
    const literal = (path: string) =>
      [...readFileSync(path, 'utf8').matchAll(/"window"\s*(?:=\s*'(\w+)'(?!\s+desc)|in\s*\(([^)]*)\))/g)].flatMap((m) =>
        (m[1] ?? m[2]).split(',').map((w) => w.trim().replace(/'/g, '')),
      );
    const req = new WindowRequirements().refresh();
    for (const ref of listSqlFiles('views')) {
      const ws = literal(ref.path);
      const own = req.ofView(ref.name).filter((c) => c.via.length === 0);
      if (ws.length)
        expect(
          own.map((c) => c.windows.sort()),
          ref.display,
        ).toEqual([[...new Set(ws)].sort()]);
      else expect(own, ref.display).toEqual([]);
    }
    for (const kind of ['reports', 'checks', 'models'] as const) {
      for (const ref of listSqlFiles(kind)) {
        const ws = literal(ref.path);
        const f = parseSqlFile(ref.display, readFileSync(ref.path, 'utf8'), ref.name);
        if (f.requiresWindow?.param !== undefined) {
          // the window is a parameter: the SQL filters on it
          expect(readFileSync(ref.path, 'utf8'), ref.display).toMatch(/"window" = w\.w|"window" = \$window/);
          continue;
        }
        if (ws.length) expect(f.requiresWindow?.windows.sort(), ref.display).toEqual([...new Set(ws)].sort());
        else expect(f.requiresWindow, ref.display).toBeUndefined();
      }
    }
  });

  it('resolve as documented in docs/reports.md', () => {
    const c = SqlCatalog.load('report');
    const needs = (n: string) =>
      c.needs(n).map((x) => `${x.windows.join('|')}${x.via.length ? ` via ${x.via.join('>')}` : ''}`);
    expect(needs('hourly-kpis')).toEqual(['1m via bars_1h']);
    expect(c.needs('vwap-volatility').map((x) => [x.param, x.windows])).toEqual([['window', []]]);
    expect(needs('top-movers')).toEqual(['1m|1d']);
    for (const n of ['daily-closes', 'return-correlation', 'symbol-risk'])
      expect(needs(n)).toEqual(['1m|1d via closes_daily']);
    expect(needs('company-kpis')).toEqual(['1m|1d via fundamentals_kpis>closes_daily']);
    // nav_daily takes the last valuation of each day of whatever windows the processor values: no window needed
    for (const n of ['nav-monthly', 'nav-stats', 'nav-change-extremes', 'nav-change-extremes-yearly', 'portfolio-risk'])
      expect(needs(n)).toEqual([]);
  });
});
