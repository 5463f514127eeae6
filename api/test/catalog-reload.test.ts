/**
 * A running server follows its report and check files (issue 20 item 9): a report added to a --sql-dir directory
 * is listed and runs on the next request, an edit is seen, a broken file is listed under `broken` with its
 * file:line while the others keep working (and `ticklake serve` starts with one), and fixing it brings it back.
 * User views are served too.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { TICKS, writeSampleLake } from '../../test/helpers/sample-lake.js';
import { startServe } from '../../test/helpers/serve-process.js';
import { buildApp } from '../app.js';

let lake: LakeFixture;
let dir: string;
let app: FastifyInstance;
let tick = 0;

/** Writes a file with a later mtime each time, so that a rewrite is seen however fast it follows. */
function write(kind: string, name: string, text: string): void {
  const path = join(dir, kind, `${name}.sql`);
  writeFileSync(path, text);
  const t = new Date(Date.now() + ++tick * 1000);
  utimesSync(path, t, t);
}

beforeAll(async () => {
  lake = await LakeFixture.create();
  await writeSampleLake(lake);
  dir = mkdtempSync(join(tmpdir(), 'tl-reload-'));
  for (const kind of ['views', 'reports', 'checks']) mkdirSync(join(dir, kind));
  writeFileSync(
    join(dir, 'views', 'aapl_ticks.sql'),
    "create view aapl_ticks as select * from ticks where symbol = 'AAPL';",
  );
  app = await buildApp({ lakeDir: lake.dir, sqlDirs: [dir] });
});
afterAll(async () => {
  await app?.close();
  lake?.close();
  rmSync(dir, { recursive: true, force: true });
});

const names = async (url: string, key: string) =>
  ((await app.inject(url)).json()[key] as { name: string }[]).map((r) => r.name);

const AAPL = TICKS.filter((t) => t[0] === 'AAPL').length;
const REPORT = '-- title: AAPL ticks\n-- description: How many\nselect count(*) as n from aapl_ticks;\n';

describe('the catalogs follow the files while the server runs', () => {
  it('a new report is listed and runs on the next request; an edit is seen', async () => {
    expect(await names('/api/reports', 'reports')).not.toContain('aapl-count');
    write('reports', 'aapl-count', REPORT);
    expect(await names('/api/reports', 'reports')).toContain('aapl-count');
    expect((await app.inject('/api/reports/aapl-count')).json().rows).toEqual([{ n: AAPL }]);
    write('reports', 'aapl-count', REPORT.replace('count(*) as n', 'count(*) * 2 as n'));
    expect((await app.inject('/api/reports/aapl-count')).json().rows).toEqual([{ n: 2 * AAPL }]);
  });

  it('a broken report is listed as broken with file:line; the others work; fixing it brings it back', async () => {
    write('reports', 'bad', '-- title: Bad\n-- description: D\n-- param: n money optional N\nselect $n;\n');
    const r = (await app.inject('/api/reports')).json();
    expect(r.broken).toEqual([
      {
        name: 'bad',
        file: expect.stringMatching(/reports\/bad\.sql$/),
        line: 3,
        error: expect.stringMatching(/bad\.sql:3: param n: unknown type "money"/),
      },
    ]);
    expect(r.reports.map((x: { name: string }) => x.name)).toContain('top-movers');
    const run = await app.inject('/api/reports/bad');
    expect([run.statusCode, run.json().error.code]).toEqual([500, 'TL_SQL_BAD_HEADER']);
    expect(run.json().error.message).toMatch(/bad\.sql:3/);
    expect((await app.inject('/api/reports/nav-monthly')).statusCode).toBe(200);
    write('reports', 'bad', '-- title: Bad no more\n-- description: D\nselect 1 as one;\n');
    expect((await app.inject('/api/reports/bad')).json().rows).toEqual([{ one: 1 }]);
    expect((await app.inject('/api/reports')).json().broken).toEqual([]);
  });

  it('checks too: a new check runs in POST /api/checks/run', async () => {
    write('checks', 'no-aapl', '-- title: No AAPL\n-- description: D\nselect symbol from aapl_ticks limit 1;\n');
    expect(await names('/api/checks', 'checks')).toContain('no-aapl');
    const r = await app.inject({ method: 'POST', url: '/api/checks/run', payload: { checks: ['no-aapl'] } });
    expect(r.json()).toMatchObject({ passed: false, checks: [{ name: 'no-aapl', violations: 1 }] });
  });

  it('ticklake serve starts with a broken file, names it, and serves the others', async () => {
    write('reports', 'bad', '-- title: Bad\n-- description: D\n-- param: n money optional N\nselect $n;\n');
    const server = await startServe(['--lake-dir', lake.dir, '--sql-dir', dir]);
    try {
      const list = (await (await fetch(`${server.base}/api/reports`)).json()) as { broken: { name: string }[] };
      expect(list.broken.map((b) => b.name)).toEqual(['bad']);
      expect(server.stderr()).toMatch(/bad\.sql:3: param n: unknown type/);
      const ok = await fetch(`${server.base}/api/reports/aapl-count`);
      expect(((await ok.json()) as { rows: unknown[] }).rows).toEqual([{ n: 2 * AAPL }]);
    } finally {
      await server.close();
    }
  });
});
