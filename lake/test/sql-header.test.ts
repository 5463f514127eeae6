import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorText as err } from '../../test/helpers/error-text.js';
import { SqlCatalog } from '../sql-catalog.js';
import { parseSqlFile } from '../sql-header.js';
import { bindParams, convertParam } from '../sql-params.js';

describe('report and check headers', () => {
  it('parses title, a continued description, and params with types, required/optional and defaults', () => {
    const f = parseSqlFile(
      'sql/reports/x.sql',
      [
        '-- title: Monthly mean NAV',
        '-- description: Mean NAV per portfolio',
        '-- and month, newest first.',
        '-- param: portfolio  varchar  optional  Portfolio id, all when omitted',
        '-- param: max_age interval optional default=2h Age limit',
        '-- param: label varchar optional default="a b" Text with spaces',
        '-- param: day date required The day',
        "select $portfolio, $max_age, $label, $day, '$not_a_param' -- $nor_this",
      ].join('\n'),
    );
    expect(f.name).toBe('x');
    expect(f.title).toBe('Monthly mean NAV');
    expect(f.description).toBe('Mean NAV per portfolio and month, newest first.');
    expect(f.params).toEqual([
      {
        name: 'portfolio',
        type: 'varchar',
        required: false,
        default: undefined,
        description: 'Portfolio id, all when omitted',
      },
      { name: 'max_age', type: 'interval', required: false, default: '2h', description: 'Age limit' },
      { name: 'label', type: 'varchar', required: false, default: 'a b', description: 'Text with spaces' },
      { name: 'day', type: 'date', required: true, default: undefined, description: 'The day' },
    ]);
  });

  it('errors name file and line', () => {
    const file = 'sql/reports/bad.sql';
    expect(err(() => parseSqlFile(file, 'select 1'))).toBe(
      `TL_SQL_BAD_HEADER ${file}:1: missing "-- title:" line at the top of the file`,
    );
    expect(
      err(() => parseSqlFile(file, '-- title: T\n-- description: D\n-- param: x money optional X\nselect $x')),
    ).toBe(
      `TL_SQL_BAD_HEADER ${file}:3: param x: unknown type "money" (use one of varchar, integer, bigint, double, boolean, date, timestamp, interval)`,
    );
    expect(err(() => parseSqlFile(file, '-- title: T\n-- description: D\n-- param: x\nselect 1'))).toMatch(
      /^TL_SQL_BAD_HEADER sql\/reports\/bad.sql:3: param must be "name type required\|optional/,
    );
    expect(err(() => parseSqlFile(file, '-- title: T\n-- description: D\n-- param: x date optional X\nselect 1'))).toBe(
      `TL_SQL_BAD_HEADER ${file}:3: param x is declared but $x is not used`,
    );
    expect(err(() => parseSqlFile(file, '-- title: T\n-- description: D\n\nselect 1\nwhere a = $y'))).toBe(
      `TL_SQL_BAD_HEADER ${file}:5: $y is used but not declared with "-- param: y ..."`,
    );
    expect(err(() => parseSqlFile(file, '-- title: T\n-- colour: red\nselect 1'))).toBe(
      `TL_SQL_BAD_HEADER ${file}:2: unknown header key "colour" (use title, description, param, requires_window, schedule, materialize or severity)`,
    );
    expect(
      err(() =>
        parseSqlFile(file, '-- title: T\n-- description: D\n-- param: d date required default=2026-01-01 D\nselect $d'),
      ),
    ).toBe(`TL_SQL_BAD_HEADER ${file}:3: param d: a required parameter cannot have a default`);
  });

  it('every shipped report and check parses, and its defaults convert to the declared type', () => {
    for (const kind of ['report', 'check'] as const) {
      const cat = SqlCatalog.load(kind);
      expect(cat.list().length).toBeGreaterThan(0);
      for (const f of cat.list())
        for (const p of f.params) if (p.default) expect(() => convertParam(p, p.default!)).not.toThrow();
    }
    expect(
      SqlCatalog.load('report')
        .list()
        .map((r) => r.name),
    ).toEqual(
      // every file of sql/reports, read here from the directory (a fixed list went stale at every merge)
      readdirSync(new URL('../../sql/reports/', import.meta.url))
        .filter((f) => f.endsWith('.sql'))
        .map((f) => f.slice(0, -4))
        .sort(),
    );
  });

  it('parameter values are checked against the declared type; errors name the parameter', () => {
    const def = parseSqlFile(
      'x.sql',
      '-- title: T\n-- description: D\n-- param: n integer required N\n-- param: d date optional D\n-- param: b boolean optional default=true B\nselect $n, $d, $b',
    );
    expect(err(() => bindParams(def, {}))).toBe('TL_API_BAD_PARAM Parameter n: required integer parameter is missing');
    expect(err(() => bindParams(def, { n: '1.5' }))).toBe(
      'TL_API_BAD_PARAM Parameter n: expected an integer, got "1.5"',
    );
    expect(err(() => bindParams(def, { n: '1', d: '2026-02-30' }))).toBe(
      'TL_API_BAD_PARAM Parameter d: expected a date YYYY-MM-DD, got "2026-02-30"',
    );
    expect(err(() => bindParams(def, { n: '1', zz: '1' }))).toBe(
      'TL_API_BAD_PARAM Parameter zz: unknown parameter of x (known: n, d, b)',
    );
    const ok = bindParams(def, { n: '7' });
    expect(ok.values).toEqual({ n: 7, d: null, b: true });
    expect(String(convertParam({ name: 't', type: 'timestamp' }, '2026-01-05 10:00:00.5'))).toBe(
      '2026-01-05 10:00:00.5',
    );
    expect(String(convertParam({ name: 'd', type: 'date' }, '2026-01-05'))).toBe('2026-01-05');
  });

  it('reads the scheduling keys (schedule, materialize, severity) with their lines, and refuses bad ones', () => {
    const file = 'sql/checks/c.sql';
    const f = parseSqlFile(
      file,
      '-- title: T\n-- description: D\n-- schedule: 0 */2 * * *\n-- severity: blocking\nselect 1',
    );
    expect([f.schedule, f.severity, f.materialize]).toEqual(['0 */2 * * *', 'blocking', undefined]);
    expect(f.keyLines).toEqual({ schedule: 3, severity: 4 });
    const m = parseSqlFile(file, '-- title: T\n-- description: D\n-- materialize: my_table\nselect 1');
    expect(m.materialize).toBe('my_table');
    expect(err(() => parseSqlFile(file, '-- title: T\n-- description: D\n-- severity: fatal\nselect 1'))).toBe(
      `TL_SQL_BAD_HEADER ${file}:3: severity must be one of warn, error, blocking, got "fatal"`,
    );
    expect(err(() => parseSqlFile(file, '-- title: T\n-- description: D\n-- materialize: My-Table\nselect 1'))).toBe(
      `TL_SQL_BAD_HEADER ${file}:3: materialize: "My-Table" is not a table name (lower case letters, digits and _)`,
    );
    expect(
      err(() =>
        parseSqlFile(file, '-- title: T\n-- description: D\n-- schedule: hourly\n-- schedule: daily\nselect 1'),
      ),
    ).toBe(`TL_SQL_BAD_HEADER ${file}:4: schedule given twice`);
  });
});

describe('report and check headers are read like every SQL file header (lake/sql-file-header.ts)', () => {
  const file = 'sql/reports/x.sql';

  it('an indented "word:" line after the description continues it, as in source and job files; a key does not', () => {
    const f = parseSqlFile(file, '-- title: T\n-- description: D\n--   note: a colon\n-- schedule: hourly\nselect 1');
    expect([f.description, f.schedule, f.keyLines]).toEqual(['D note: a colon', 'hourly', { schedule: 4 }]);
    // a misspelt key right after the description is refused by name, not read as more description
    expect(err(() => parseSqlFile(file, '-- title: T\n-- description: D\n-- schedul: hourly\nselect 1'))).toBe(
      `TL_SQL_BAD_HEADER ${file}:3: unknown header key "schedul" (use title, description, param, requires_window, schedule, materialize or severity)`,
    );
    expect(
      err(() => parseSqlFile(file, '-- title: T\n-- description: D\n-- schedule: hourly\n-- note: x\nselect 1')),
    ).toBe(
      `TL_SQL_BAD_HEADER ${file}:4: unknown header key "note" (use title, description, param, requires_window, schedule, materialize or severity)`,
    );
  });

  it('text that continues no description names its line; blank lines before the header are skipped', () => {
    expect(err(() => parseSqlFile(file, '\n\n-- title: T\n-- more title\n-- description: D\nselect 1'))).toBe(
      `TL_SQL_BAD_HEADER ${file}:4: expected "key: value" (title, description or param), got "more title"`,
    );
    const f = parseSqlFile(file, '\n-- title: T\n-- description: D\n-- param: n integer required N\nselect $n');
    expect(f.title).toBe('T');
    expect(
      err(() => parseSqlFile(file, '\n-- title: T\n-- description: D\n-- param: n integer required N\nselect 1')),
    ).toBe(`TL_SQL_BAD_HEADER ${file}:4: param n is declared but $n is not used`);
  });

  it('a " -- " comment ends a value; "--windows" in a description is text', () => {
    const f = parseSqlFile(
      file,
      '-- title: T -- for the page\n-- description: A label of --windows\n-- param: w varchar optional W, as in --windows\nselect $w',
    );
    expect([f.title, f.description, f.params[0].description]).toEqual([
      'T',
      'A label of --windows',
      'W, as in --windows',
    ]);
  });
});

describe('parameter bounds: min= and max=', () => {
  const header = (param: string) => `-- title: T\n-- description: D\n-- param: ${param}\nselect $n`;

  it('a value outside the bounds is TL_API_BAD_PARAM naming the parameter, not a DuckDB binder error', () => {
    const def = parseSqlFile('x.sql', header('n integer optional default=10 min=0 max=100 Rows'));
    expect(def.params[0]).toMatchObject({ name: 'n', default: '10', min: 0, max: 100, description: 'Rows' });
    expect(err(() => bindParams(def, { n: '-1' }))).toBe('TL_API_BAD_PARAM Parameter n: must be at least 0, got "-1"');
    expect(err(() => bindParams(def, { n: '101' }))).toBe(
      'TL_API_BAD_PARAM Parameter n: must be at most 100, got "101"',
    );
    expect(bindParams(def, { n: '0' }).values).toEqual({ n: 0 });
    expect(bindParams(def, { n: '100' }).values).toEqual({ n: 100 });
    expect(bindParams(def, {}).values).toEqual({ n: 10 });
    // options in any order, before the description
    const d = parseSqlFile('x.sql', header('n double optional min=0.5 default=1 Ratio'));
    expect(d.params[0]).toMatchObject({ min: 0.5, default: '1', description: 'Ratio' });
    expect(err(() => bindParams(d, { n: '0.25' }))).toBe(
      'TL_API_BAD_PARAM Parameter n: must be at least 0.5, got "0.25"',
    );
  });

  it('bad bounds are header errors with file:line', () => {
    expect(err(() => parseSqlFile('x.sql', header('n varchar optional min=1 N')))).toBe(
      'TL_SQL_BAD_HEADER x.sql:3: param n: min= is only for integer, bigint, double',
    );
    expect(err(() => parseSqlFile('x.sql', header('n integer optional min=a N')))).toBe(
      'TL_SQL_BAD_HEADER x.sql:3: param n: min= must be a number',
    );
    expect(err(() => parseSqlFile('x.sql', header('n integer optional min=5 max=1 N')))).toBe(
      'TL_SQL_BAD_HEADER x.sql:3: param n: min= is above max=',
    );
    expect(err(() => parseSqlFile('x.sql', header('n integer optional default=-1 min=0 N')))).toBe(
      'TL_SQL_BAD_HEADER x.sql:3: param n: default=-1 is outside min=0 max=',
    );
  });

  it('the shipped reports bound what DuckDB would refuse: top-movers limit=-1', () => {
    const top = SqlCatalog.load('report').get('top-movers');
    expect(err(() => bindParams(top, { day: '2026-01-05', limit: '-1' }))).toBe(
      'TL_API_BAD_PARAM Parameter limit: must be at least 0, got "-1"',
    );
  });
});
