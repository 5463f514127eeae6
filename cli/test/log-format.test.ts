/**
 * Human output stays human: on a terminal a command prints its own lines (summary, progress) and no pino JSON
 * (`compact` over two years of daily history printed ~1,000 JSON lines into its summary); logs are JSON only when
 * asked for (`--log-format json`) or when stderr is not a terminal, and `--log-format text` gives human log lines.
 * The terminal is a real pseudo-terminal (util-linux `script`), as in the shell tests.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../broker/index.js';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { requireTool } from '../../test/helpers/tools.js';

const BIN = new URL('../bin.js', import.meta.url).pathname;
const script = requireTool('script', ['/usr/bin/script']);
const run = promisify(execFile);
let lake: LakeFixture;
let broker: RunningBroker;

/** A lake with closed dates of several files each: compaction has work to do (and used to log every merge). */
async function lakeToCompact(): Promise<LakeFixture> {
  const l = await LakeFixture.create();
  for (const date of ['2025-03-03', '2025-03-04', '2025-03-05']) {
    for (const f of ['a', 'b', 'c']) {
      await l.write(
        'bars',
        { window: '1d', date },
        `select 'AAPL' as symbol, timestamp '${date} 00:00:00' as window_start, timestamp '${date} 00:00:00' + interval 1 day as window_end,
         1.0 as open, 1.0 as high, 1.0 as low, 1.0 as close, 1 as volume, 1.0 as notional, 1.0 as vwap, 1 as trades,
         0.0 as trade_rate, null::double as volatility, null::double as log_return`,
        `${f}.parquet`,
      );
    }
  }
  return l;
}

/** Runs `ticklake ARGS` under a pseudo-terminal; returns what the terminal showed. */
function inTerminal(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm', COLUMNS: '200' };
    delete env.TICKLAKE_LOG_LEVEL;
    const child = spawn(script as string, ['-qfec', [process.execPath, BIN, ...args].join(' '), '/dev/null'], { env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

beforeAll(async () => {
  lake = await lakeToCompact();
  broker = await startBroker({ dataDir: `${lake.dir}-broker`, port: 0, groupInitialRebalanceDelayMs: 0 });
});
afterAll(async () => {
  await broker?.close();
  lake?.close();
});

describe.skipIf(!script)('on a terminal', () => {
  it('compact prints its summary and no JSON log line', async () => {
    const out = await inTerminal(['compact', '--lake-dir', lake.dir]);
    expect(out).toMatch(/compacted 3 partition\(s\): 9 file\(s\) -> 3, 9 row\(s\)/);
    expect(out).not.toContain('{"level"');
  });

  it('produce prints its summary line and no JSON log line', async () => {
    const out = await inTerminal(['produce', '--brokers', broker.address, '--count', '20', '--topic', 'fmt']);
    expect(out).toMatch(/produce SE1\+SE2\+CRX: sent 20 messages/);
    expect(out).not.toContain('{"level"');
  });
});

describe('when asked', () => {
  const env = () => {
    const e = { ...process.env };
    delete e.TICKLAKE_LOG_LEVEL;
    return e;
  };

  it('--log-format json gives one JSON object per log line (also the default off a terminal)', async () => {
    for (const extra of [['--log-format', 'json'], []]) {
      const r = await run(
        process.execPath,
        [BIN, 'produce', '--brokers', broker.address, '--count', '5', '--topic', 'fmt2', ...extra],
        { env: env() },
      );
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('{'));
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines)
        expect(JSON.parse(l)).toMatchObject({ level: expect.any(Number), msg: expect.any(String) });
      expect(lines.map((l) => JSON.parse(l).msg)).toContain('produce finished');
    }
  });

  it('--log-format text gives human lines, with the fields as key=value', async () => {
    const r = await run(
      process.execPath,
      [
        BIN,
        'produce',
        '--brokers',
        broker.address,
        '--count',
        '5',
        '--topic',
        'fmt3',
        '--log-format',
        'text',
        '--log-level',
        'info',
      ],
      { env: env() },
    );
    expect(r.stderr).not.toContain('{"level"');
    expect(r.stderr).toMatch(/^\d\d:\d\d:\d\d INFO {2}produce: produce finished sent=5 /m);
  });

  it('an unknown format is a configuration error naming the flag', async () => {
    const e = await run(process.execPath, [BIN, 'views', '--log-format', 'xml'], { env: env() }).catch((x) => x);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('--log-format');
    // a value error naming the value, not "unknown option" (which is what a command without the setting says)
    expect(e.stderr).toContain('TL_CONFIG_BAD_VALUE');
    expect(e.stderr).toContain('xml');
  });
});
