import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSqlFiles } from '../sql-dirs.js';

describe('listSqlFiles: the bundled sql/ overlaid by --sql-dir directories', () => {
  let a: string;
  let b: string;
  beforeAll(async () => {
    a = await mkdtemp(join(tmpdir(), 'ticklake-sqldir-a-'));
    b = await mkdtemp(join(tmpdir(), 'ticklake-sqldir-b-'));
    await mkdir(join(a, 'reports'));
    await mkdir(join(b, 'reports'));
    await writeFile(join(a, 'reports', 'top-movers.sql'), '-- mine\nselect 1');
    await writeFile(join(a, 'reports', 'extra.sql'), 'select 2');
    await writeFile(join(b, 'reports', 'extra.sql'), 'select 3');
    await writeFile(join(b, 'reports', 'notes.txt'), 'not sql');
  });
  afterAll(async () => {
    await rm(a, { recursive: true, force: true });
    await rm(b, { recursive: true, force: true });
  });

  it('adds user files and lets a later directory replace a file of the same name', () => {
    const bundled = listSqlFiles('reports');
    const files = listSqlFiles('reports', [a, b]);
    expect(files.length).toBe(bundled.length + 1); // top-movers replaced, extra added once
    const byName = new Map(files.map((f) => [f.name, f]));
    expect(byName.get('top-movers')?.path).toBe(join(a, 'reports', 'top-movers.sql'));
    expect(byName.get('top-movers')?.bundled).toBe(false);
    expect(byName.get('extra')?.path).toBe(join(b, 'reports', 'extra.sql'));
    expect(byName.get('vwap-volatility')?.display).toBe('sql/reports/vwap-volatility.sql');
    expect(files.map((f) => f.name)).toEqual([...files.map((f) => f.name)].sort((x, y) => x.localeCompare(y)));
  });

  it('a kind the user directory lacks is just the bundled files; a missing directory is an error naming it', () => {
    expect(listSqlFiles('checks', [a]).map((f) => f.name)).toEqual(listSqlFiles('checks').map((f) => f.name));
    expect(() => listSqlFiles('reports', [join(a, 'nope')])).toThrow(/--sql-dir.*nope.*not a directory/);
  });
});
