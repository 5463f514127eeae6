/**
 * A filings lake for tests, built the way a user builds it: the embedded broker in this process, FSDS quarters
 * published with the loader (producers/filings), `ticklake process --until-idle` as a child process over the
 * filing sources, and a LakeSession with every declared table's views for reading the result.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type RunningBroker, startBroker } from '../../broker/index.js';
import { LakeSession } from '../../lake/session.js';
import { declaredLakeTables } from '../../processors/tables/lake-tables.js';
import { type LoadSummary, loadQuarter } from '../../producers/filings/load.js';
import { connectPublisher } from '../../producers/filings/publish.js';

const BIN = join(import.meta.dirname, '..', '..', 'cli', 'bin.js');
export const FILING_SOURCES =
  'filing_submissions,filing_numbers,filing_tags,filing_presentation,filing_concepts,stock_splits';

export interface FilingsLake {
  broker: RunningBroker;
  lakeDir: string;
  load(paths: string[]): Promise<LoadSummary[]>;
  /** Runs `ticklake process --until-idle` over the filing sources; returns its stderr. */
  process(): Promise<string>;
  session(): Promise<LakeSession>;
  close(): Promise<void>;
}

export async function startFilingsLake(dir: string): Promise<FilingsLake> {
  const broker = await startBroker({ port: 0, dataDir: join(dir, 'broker') });
  const lakeDir = join(dir, 'lake');
  return {
    broker,
    lakeDir,
    async load(paths) {
      const publisher = await connectPublisher({ brokers: [broker.address] });
      try {
        const out: LoadSummary[] = [];
        for (const p of paths) out.push(await loadQuarter(p, publisher));
        return out;
      } finally {
        await publisher.close();
      }
    },
    process: () =>
      new Promise((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            BIN,
            'process',
            '--brokers',
            broker.address,
            '--sources',
            FILING_SOURCES,
            '--lake-dir',
            lakeDir,
            '--state-dir',
            join(dir, 'state'),
            '--until-idle',
            '--compact-every',
            '0',
          ],
          { env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' } },
        );
        let err = '';
        child.stderr.on('data', (d) => {
          err += d;
        });
        child.stdout.on('data', (d) => {
          err += d;
        });
        child.on('exit', (code) => (code === 0 ? resolve(err) : reject(new Error(`process exited ${code}: ${err}`))));
      }),
    async session() {
      const tables = await declaredLakeTables([]);
      return LakeSession.open({ lakeDir, confined: true, tables });
    },
    close: () => broker.close(),
  };
}
