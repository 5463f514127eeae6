/**
 * A real Prometheus (Debian's `prometheus`, on a free port, its own TSDB in a temp dir) scrapes GET /metrics of a
 * running `ticklake start` every second, with deploy/prometheus/alerts.yml loaded, and its query API returns the
 * consumer lag of the running pipeline: one series per partition of `ticks`, each between 0 and the partition's
 * high watermark as kcat (librdkafka, an independent client) reads it from the broker.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/poll.js';
import { requireTool } from '../../test/helpers/tools.js';

const prometheus = requireTool('prometheus');
const kcat = requireTool('kcat');
const BIN = new URL('../../cli/bin.js', import.meta.url).pathname;
const ALERTS = new URL('../../deploy/prometheus/alerts.yml', import.meta.url).pathname;
const children: ChildProcess[] = [];
let dir: string | undefined;

afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGINT');
      await new Promise((r) => {
        const t = setTimeout(() => {
          c.kill('SIGKILL');
          r(null);
        }, 15_000);
        c.once('exit', () => {
          clearTimeout(t);
          r(null);
        });
      });
    }
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function spawnLogged(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  return { child, out: () => out };
}

/** How the test waits: every 500 ms, a failing query asked again, ended at once when a process in `watch` exits. */
const polling = (watch: { child: ChildProcess; out: () => string }[]) => ({
  timeoutMs: 90_000,
  everyMs: 500,
  retryErrors: true,
  failIf: () => {
    const w = watch.find((x) => x.child.exitCode !== null);
    return w && `a process exited:\n${w.out()}`;
  },
});

describe.skipIf(!prometheus)('Prometheus scrapes ticklake', () => {
  it('returns the consumer lag of a running pipeline per partition through its query API', {
    timeout: 240_000,
  }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-prometheus-'));
    const t = spawnLogged(
      process.execPath,
      [
        BIN,
        'start',
        '--data-dir',
        join(dir, 'data'),
        '--port',
        '0',
        '--broker-port',
        '0',
        '--rate',
        '200',
        '--history', // no backfilled history: the lag checked here is the live market's
        '0',
        '--history-intraday',
        '0',
      ],
      { ...process.env, TICKLAKE_LOG_LEVEL: 'warn', TICKLAKE_PRIVATE_MYSQL: 'false' },
    );
    const urls = await waitFor(
      'ticklake start URLs',
      async () => {
        const m = /^ticklake urls: dashboard=(\S+) docs=\S+ kafka=(\S+)$/m.exec(t.out());
        return m ? { api: new URL(m[1]), kafka: m[2] } : undefined;
      },
      polling([t]),
    );
    const port = await freePort();
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${ALERTS}`,
        'scrape_configs:',
        '  - job_name: ticklake',
        '    metrics_path: /metrics',
        '    static_configs:',
        `      - targets: ['${urls.api.host}']`,
        '',
      ].join('\n'),
    );
    const p = spawnLogged(prometheus as string, [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ]);
    const api = `http://127.0.0.1:${port}/api/v1`;
    const query = async (q: string) => {
      const r = await fetch(`${api}/query?query=${encodeURIComponent(q)}`);
      const body = (await r.json()) as {
        status: string;
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== 'success') throw new Error(JSON.stringify(body));
      return body.data.result;
    };
    // the target is up, and the lag series of every partition are there once the processor has checked the lag
    const lag = await waitFor(
      'consumer lag in Prometheus',
      async () => {
        const r = await query('ticklake_consumer_lag_messages{topic="ticks"}');
        return r.length === 3 ? r : undefined;
      },
      polling([t, p]),
    );
    expect((await query('up{job="ticklake"}')).map((x) => x.value[1])).toEqual(['1']);
    expect(lag.map((x) => x.metric.partition).sort()).toEqual(['0', '1', '2']);
    // the broker's high watermarks, read with kcat, bound each partition's lag from above
    if (kcat) {
      const { stdout } = await promisify(execFile)(kcat, [
        '-b',
        urls.kafka,
        '-Q',
        '-t',
        'ticks:0:-1',
        '-t',
        'ticks:1:-1',
        '-t',
        'ticks:2:-1',
      ]);
      const highs = Object.fromEntries(
        [...stdout.matchAll(/ticks \[(\d+)\] offset (\d+)/g)].map((m) => [m[1], Number(m[2])]),
      );
      expect(Object.keys(highs).sort()).toEqual(['0', '1', '2']);
      for (const x of lag) {
        const v = Number(x.value[1]);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(highs[x.metric.partition]);
      }
      expect(Object.values(highs).some((h) => h > 0)).toBe(true);
    }
    // the pipeline is running: ticks are counted, and the alert rules are loaded
    const ticks = await waitFor(
      'ticks counted',
      async () => {
        const r = await query('ticklake_processor_ticks_total');
        return r.length && Number(r[0].value[1]) > 0 ? Number(r[0].value[1]) : undefined;
      },
      polling([t, p]),
    );
    expect(ticks).toBeGreaterThan(0);
    const rules = (await (await fetch(`${api}/rules`)).json()) as { data: { groups: { rules: unknown[] }[] } };
    // every alert of deploy/prometheus/alerts.yml, counted here from its text
    const alerts = readFileSync(new URL('../../deploy/prometheus/alerts.yml', import.meta.url), 'utf8').match(
      /^\s*- alert: /gm,
    )?.length;
    expect(rules.data.groups.flatMap((g) => g.rules).length).toBe(alerts);
  });
});
