import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserSqlDir } from '../../../test/helpers/user-sql-dir.js';
import { loadTableCatalog, type TableCatalog } from '../catalog.js';
import { PendingTables, tableGroups } from '../startup.js';

const source = (name: string, topic: string) =>
  `-- title: ${name}\n-- topic: ${topic}\n-- format: plain\ncreate table ${name} (id varchar primary key, v bigint);\n`;
const job = (key: string, sql: string) => `-- title: job\n-- key: ${key}\n${sql}\n`;

describe('table groups', () => {
  let sql: UserSqlDir | undefined;
  let dir: string;
  let catalog: TableCatalog;
  beforeAll(async () => {
    const files: Record<string, string> = {
      'sources/a.sql': source('a', 'ta'),
      'sources/b.sql': source('b', 'tb'),
      'sources/c.sql': source('c', 'tb'), // b's topic: b and c start together
      'sources/d.sql': source('d', 'td'),
      'sources/e.sql': source('e', 'te'),
      'jobs/j1.sql': job('id', 'select a.id, a.v + d.v as v from a join d_history d on a.id = d.id'),
      'jobs/j2.sql': job('id', 'select id, v from j1'), // j1's group, through j1
      'jobs/j3.sql': job('k', 'select 1 as k, count(*) as n from e'), // one row over an empty e
    };
    sql = UserSqlDir.withFiles('ticklake-startup-', files);
    dir = sql.dir;
    catalog = await loadTableCatalog([dir], { bundled: false });
    expect(catalog.errors).toEqual([]);
  });
  afterAll(async () => {
    sql?.remove();
  });

  const names = (s: Iterable<string>) => [...s].sort();

  it('groups a job with what it reads and sources with their topic', () => {
    const groups = tableGroups(catalog).map((g) => ({
      names: names(g.names),
      topics: [...g.topics].sort(),
      rowsWhenEmpty: g.rowsWhenEmpty,
    }));
    groups.sort((x, y) => x.names[0].localeCompare(y.names[0]));
    expect(groups).toEqual([
      { names: ['a', 'd', 'j1', 'j2'], topics: ['ta', 'td'], rowsWhenEmpty: false },
      { names: ['b', 'c'], topics: ['tb'], rowsWhenEmpty: false },
      { names: ['e', 'j3'], topics: ['te'], rowsWhenEmpty: true },
    ]);
  });

  it('starts a group when a topic holds a message or was consumed, or when a job has rows over empty inputs', () => {
    const pending = new PendingTables(catalog);
    // nothing anywhere: only the global count's group
    expect(names(pending.takeDue(new Map([['ta', new Map([[0, 0]])]]), new Map()))).toEqual(['e', 'j3']);
    expect(pending.topics().sort()).toEqual(['ta', 'tb', 'td']);
    // a message in partition 1 of tb
    expect(
      names(
        pending.takeDue(
          new Map([
            [
              'tb',
              new Map([
                [0, 0],
                [1, 3],
              ]),
            ],
          ]),
          new Map(),
        ),
      ),
    ).toEqual(['b', 'c']);
    // td consumed from before (the state's offsets), its topic empty now
    expect(names(pending.takeDue(new Map(), new Map([['td', new Map([[0, 5]])]])))).toEqual(['a', 'd', 'j1', 'j2']);
    expect(pending.size).toBe(0);
    expect(pending.topics()).toEqual([]);
  });
});
