import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createDatabase,
  queryMysql,
  startTestMysql,
  type TestMysql,
  testMysqlAvailable,
} from '../../../test/helpers/mysql.js';
import { DEFAULT_MIGRATIONS_DIR, readMigrations } from '../mysql-migrate.js';
import { MysqlSink } from '../mysql-sink.js';

let my: TestMysql;
let dir: string;
/** The bundled migrations, as `version:name` (the test's own files use versions from 900 on, after any of them). */
const bundled = (await readMigrations(DEFAULT_MIGRATIONS_DIR)).map((m) => `${m.version}:${m.name}`);
let url: string;
let n = 0;

const connect = async () => (await MysqlSink.connect(url, { migrationsDir: dir, seeds: false })).close();
const applied = async () =>
  (
    await queryMysql<{ version: number; name: string }>(
      url,
      'SELECT version, name FROM schema_migrations ORDER BY version',
    )
  ).map((r) => `${r.version}:${r.name}`);

describe.skipIf(!testMysqlAvailable())('MySQL migrations', () => {
  beforeAll(async () => {
    my = await startTestMysql();
  });
  afterAll(async () => {
    await my?.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-migrations-'));
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    url = await createDatabase(my.url, `migrate_${++n}`);
    return () => rm(dir, { recursive: true, force: true });
  });

  it('applies new files in version order, each once, and records them', async () => {
    await connect();
    expect(await applied()).toEqual(bundled);
    expect(bundled.slice(0, 2)).toEqual(['1:portfolios', '2:results']);
    await writeFile(
      join(dir, '900_bar_notes.sql'),
      "CREATE TABLE `bar_notes` (`id` INT PRIMARY KEY, `note` TEXT);\nINSERT INTO `bar_notes` VALUES (1, 'once');\n",
    );
    await connect();
    await connect();
    expect(await applied()).toEqual([...bundled, '900:bar_notes']);
    // Ran once: a second run would have failed on the existing table and the duplicate key.
    expect(await queryMysql(url, 'SELECT * FROM bar_notes')).toEqual([{ id: 1, note: 'once' }]);
  });

  it('refuses an applied file that has changed since, naming it', async () => {
    await connect();
    const file = join(dir, '002_results.sql');
    await writeFile(file, `${(await import('node:fs')).readFileSync(file, 'utf8')}\n-- an edit\n`);
    await expect(connect()).rejects.toMatchObject({
      code: 'TL_MYSQL_MIGRATION',
      message: expect.stringContaining(`Migration ${file} failed: changed after it was applied`),
    });
  });

  it('a failing migration names its file and is not recorded; fixed, it applies', async () => {
    await connect();
    const file = join(dir, '900_broken.sql');
    await writeFile(file, 'CREATE TABLE `x` (`id` INT PRIMARY KEY);\nSELECT * FROM `no_such_table`;\n');
    await expect(connect()).rejects.toMatchObject({
      code: 'TL_MYSQL_MIGRATION',
      message: expect.stringMatching(new RegExp(`^Migration ${file} failed: .*no_such_table`)),
    });
    expect(await applied()).toEqual(bundled);
    await writeFile(file, 'CREATE TABLE IF NOT EXISTS `x` (`id` INT PRIMARY KEY);\n');
    await connect();
    expect(await applied()).toEqual([...bundled, '900:broken']);
  });

  it('refuses badly named files and duplicate versions', async () => {
    await writeFile(join(dir, '3_short.sql'), 'SELECT 1;');
    await expect(readMigrations(dir)).rejects.toThrow(/3_short\.sql failed: name must be NNN_lower_case_name\.sql/);
    await rm(join(dir, '3_short.sql'));
    await writeFile(join(dir, '002_again.sql'), 'SELECT 1;');
    await expect(readMigrations(dir)).rejects.toThrow(
      /002_results\.sql failed: version 002 is also used by .*002_again\.sql/,
    );
  });

  it('two sinks starting at once apply each migration once', async () => {
    await Promise.all([connect(), connect(), connect()]);
    expect(await applied()).toEqual(bundled);
  });
});
