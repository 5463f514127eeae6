/**
 * `ticklake filings load PATH...`: publishes SEC Financial Statement Data Sets quarters (the quarterly zip or its
 * extracted folder) to the filing sources through Kafka (producers/filings/load.ts, docs/fundamentals.md).
 * Valid rows are published; bad rows are listed with file:line and the command exits 1.
 */
import type { Command } from './command.js';

export const command: Command = {
  name: 'filings',
  summary: 'Load SEC financial statement data sets (quarterly zip or folder) into the filing sources via Kafka',
  usage: 'load [options] <quarter.zip|folder>...',
  description:
    'Publishes sub.txt, num.txt, tag.txt and pre.txt (read by header name) and the concept map\n' +
    '(sql/seeds/fundamental_concepts.csv), one message per row keyed by its natural key. Loading the same\n' +
    'quarter again changes nothing. Run `ticklake process` to take them into the lake. See docs/fundamentals.md.',
  async run(config) {
    const { tlError } = await import('../core/errors.js');
    const [verb, ...paths] = config.positional;
    if (verb !== 'load' || paths.length === 0) {
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: 'filings',
        value: JSON.stringify(config.positional.join(' ')),
        reason: 'usage: ticklake filings load <quarter.zip|folder>...',
      });
    }
    const { connectPublisher } = await import('../producers/filings/publish.js');
    const { loadQuarter } = await import('../producers/filings/load.js');
    const publisher = await connectPublisher({ brokers: config.list('brokers') });
    let bad = 0;
    try {
      for (const path of paths) {
        const s = await loadQuarter(path, publisher);
        const counts = Object.entries(s.published)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ');
        process.stdout.write(`${path}: published ${counts}; ${s.bad.length} bad rows\n`);
        for (const [file, cols] of Object.entries(s.ignoredColumns)) {
          process.stdout.write(`  ${file}: columns not read: ${cols.join(', ')}\n`);
        }
        for (const b of s.bad) process.stderr.write(`${b.file}:${b.line}: ${b.reason}\n`);
        bad += s.bad.length;
      }
    } finally {
      await publisher.close();
    }
    if (bad > 0) {
      process.stderr.write(`ticklake filings: ${bad} bad rows were not published (listed above); the rest were\n`);
      return 1;
    }
    return 0;
  },
};
