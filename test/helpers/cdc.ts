/**
 * Change data capture tests: an embedded broker and a MariaDB with the row-based binlog on, and the captured topics
 * read back with kcat (librdkafka) — a client independent of the kafkajs code under test.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type RunningBroker, startBroker } from '../../broker/index.js';
import { startTestMysql, type TestMysql, testMysqlAvailable } from './mysql.js';
import { requireTool } from './tools.js';

const execFileP = promisify(execFile);

export interface CdcEnv {
  dir: string;
  broker: RunningBroker;
  brokers: string[];
  my: TestMysql;
  close(): Promise<void>;
}

export function cdcEnvAvailable(): boolean {
  return testMysqlAvailable() && Boolean(requireTool('kcat')) && !process.env.TICKLAKE_TEST_MYSQL_URL;
}

export async function startCdcEnv(name: string): Promise<CdcEnv> {
  const dir = await mkdtemp(join(tmpdir(), `tl-${name}-`));
  const broker = await startBroker({
    port: 0,
    dataDir: join(dir, 'broker'),
    defaultPartitions: 3,
    groupInitialRebalanceDelayMs: 0,
  });
  const my = await startTestMysql({ binlog: true });
  return {
    dir,
    broker,
    brokers: [`${broker.host}:${broker.port}`],
    my,
    close: async () => {
      await my.close();
      await broker.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface KcatMessage {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: string;
}

/** Every message of `topic` now, read with kcat; ordered by partition then offset. */
export async function kcatRead(brokers: string[], topic: string): Promise<KcatMessage[]> {
  const kcat = requireTool('kcat') as string;
  const sep = '\u0001';
  const end = '\u0002\n';
  const { stdout } = await execFileP(
    kcat,
    [
      '-b',
      brokers.join(','),
      '-C',
      '-t',
      topic,
      '-e',
      '-q',
      '-Z',
      '-f',
      `%p${sep}%o${sep}%k${sep}%S${sep}%s${sep}%h${end}`,
    ],
    { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' },
  );
  const out: KcatMessage[] = [];
  for (const rec of stdout.split(end)) {
    if (!rec) continue;
    const [p, o, k, size, v, h] = rec.split(sep);
    out.push({
      partition: Number(p),
      offset: Number(o),
      key: k === 'NULL' || k === '' ? null : k,
      value: size === '-1' ? null : v,
      headers: h ?? '',
    });
  }
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
