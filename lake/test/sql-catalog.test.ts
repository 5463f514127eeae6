/**
 * The report and check catalogs follow their files (issue 20 item 9): the user's --sql-dir adds and replaces
 * files, `refresh()` sees files added, edited and deleted after loading, and a broken file is listed as broken
 * with its file:line while the others keep working.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BrokenSqlFile, SqlCatalog } from '../sql-catalog.js';
import { listSqlFiles } from '../sql-dirs.js';

let dir: string;
const report = (title: string, extra = '') => `-- title: ${title}\n-- description: D\n${extra}select 1 as x\n`;
const file = (name: string) => join(dir, 'reports', `${name}.sql`);
/** How messages show a user's file: relative to the working directory when it is under it (lake/sql-dirs.ts). */
const shownAs = (path: string) =>
  relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path);
/** Writes a file and moves its mtime, so that a rewrite within the same millisecond is still seen as a change. */
let tick = 0;
function write(name: string, text: string): void {
  writeFileSync(file(name), text);
  const t = new Date(Date.now() + ++tick * 1000);
  utimesSync(file(name), t, t);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tl-catalog-'));
  mkdirSync(join(dir, 'reports'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SqlCatalog', () => {
  it('a --sql-dir file adds a report or replaces the bundled one of the same name', () => {
    write('mine', report('Mine'));
    write('top-movers', report('My top movers'));
    const cat = SqlCatalog.load('report', { sqlDirs: [dir] });
    const bundled = listSqlFiles('reports').map((f) => f.name);
    expect(cat.list().map((f) => f.name)).toEqual([...bundled, 'mine'].sort((a, b) => a.localeCompare(b)));
    expect(cat.get('top-movers').title).toBe('My top movers');
    expect(cat.get('mine').file).toBe(shownAs(file('mine')));
    // a check directory the user does not have leaves the bundled checks as they are
    expect(SqlCatalog.load('check', { sqlDirs: [dir] }).list().length).toBe(listSqlFiles('checks').length);
  });

  it('refresh() sees files added, changed and deleted since it loaded', () => {
    const cat = SqlCatalog.load('report', { sqlDirs: [dir], bundled: false });
    expect(cat.list()).toEqual([]);
    write('a', report('A'));
    expect(
      cat
        .refresh()
        .list()
        .map((f) => f.title),
    ).toEqual(['A']);
    write('a', report('A again'));
    write('b', report('B'));
    expect(
      cat
        .refresh()
        .list()
        .map((f) => f.title),
    ).toEqual(['A again', 'B']);
    rmSync(file('a'));
    expect(
      cat
        .refresh()
        .list()
        .map((f) => f.title),
    ).toEqual(['B']);
    expect(() => cat.get('a')).toThrow(/report "a" not found/);
  });

  it('a broken file is listed with file:line and reported once; the others work; fixing it brings it back', () => {
    const seen: BrokenSqlFile[] = [];
    write('good', report('Good'));
    write('bad', report('Bad', '-- param: n money optional N\n'));
    const cat = SqlCatalog.load('report', { sqlDirs: [dir], bundled: false, onBroken: (b) => seen.push(b) });
    const shown = shownAs(file('bad'));
    expect(cat.list().map((f) => f.name)).toEqual(['good']);
    expect(cat.broken().map((b) => [b.name, b.file, b.line, b.error.code])).toEqual([
      ['bad', shown, 3, 'TL_SQL_BAD_HEADER'],
    ]);
    expect(() => cat.get('bad')).toThrow(`${shown}:3: param n: unknown type "money"`);
    cat.refresh();
    cat.refresh();
    expect(seen.length).toBe(1); // unchanged: not reported again
    write('bad', report('Fixed', '-- param: n integer optional N\n').replace('select 1', 'select $n'));
    expect(
      cat
        .refresh()
        .list()
        .map((f) => f.title),
    ).toEqual(['Fixed', 'Good']);
    expect(cat.broken()).toEqual([]);
  });
});
