/**
 * `npm run bench:core-memory`: does the processor's core grow native memory per batch, without Kafka, HTTP or the
 * rest of `ticklake start`? ProcessorCore and lake delivery (as bench/process-core.ts runs them: the next batch
 * submitted while the previous one commits, delivery one batch behind) over simulated ticks, CORE_MEM_TICKS a
 * batch, every CORE_MEM_PACE_MS (0: as fast as it goes), in one process sampled every CORE_MEM_EVERY batches.
 *
 * Each sample splits the process's anonymous memory (RssAnon) into the V8 heap, DuckDB's buffer managers
 * (duckdb_memory()) and the rest, and the rest by mapping (/proc/self/smaps): glibc's main arena (`[heap]`),
 * mappings under 1 MiB (V8's pages), of 1-60 MiB, and of 60 MiB or more (glibc's 64 MiB thread arenas). The
 * figure is the rest's slope in KiB per batch after the first CORE_MEM_WARMUP batches, ± 2 standard errors, so a
 * soak's growth per hour (bench:soak, ~3,600 batches an hour at start's defaults) can be set against it. DUCKDB_SET
 * (`name=value;...`) applies DuckDB settings to the state database before the first batch; CORE_MEM_STATE_CHECKPOINT
 * sets the core's `stateCheckpointBatches` (0: only DuckDB's own checkpoints, as before the fourteenth stop);
 * CORE_MEM_REOPEN reopens the state database every that many batches, as the processor does (--state-reopen-every;
 * unset or 0: never, as before the twenty-fourth stop). DuckDB's buffer managers are also split by tag
 * (duckdb_memory()).
 *
 * CORE_MEM_BATCHES (3000), CORE_MEM_TICKS (2000), CORE_MEM_PACE_MS (0), CORE_MEM_EVERY (100), CORE_MEM_WARMUP
 * (600), CORE_MEM_WINDOWS (10s,1m, as bench:soak), CORE_MEM_NAME (core-memory). Run with `node --expose-gc` (the
 * npm script does) so each sample follows a full collection.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPortfolioSeeds } from '../contracts/portfolio-seeds.js';
import type { InMessage } from '../processors/ticks/core.js';
import { loadUniverse, selectSymbols } from '../producers/universe.js';
import { procStatus } from '../test/helpers/serve-process.js';
import { openBenchCore } from './process-core.js';
import { seededBatches } from './process-e2e.js';
import { startBench } from './result.js';
import { slope } from './soak-slopes.js';

const BATCHES = Number(process.env.CORE_MEM_BATCHES ?? 3000);
const TICKS = Number(process.env.CORE_MEM_TICKS ?? 2000);
const PACE_MS = Number(process.env.CORE_MEM_PACE_MS ?? 0);
const EVERY = Number(process.env.CORE_MEM_EVERY ?? 100);
const WARMUP = Number(process.env.CORE_MEM_WARMUP ?? 600);
const WINDOWS = process.env.CORE_MEM_WINDOWS ?? '10s,1m';
/** Batches between the core's checkpoints of the state database (unset: the core's default; 0: DuckDB's own only). */
const STATE_CHECKPOINT = process.env.CORE_MEM_STATE_CHECKPOINT
  ? Number(process.env.CORE_MEM_STATE_CHECKPOINT)
  : undefined;
/** Batches between reopenings of the state database (0: never). */
const REOPEN = Number(process.env.CORE_MEM_REOPEN ?? 0);
const SETTINGS = (process.env.DUCKDB_SET ?? '').split(';').filter(Boolean);
const PARTITIONS = 3;
const MiB = 2 ** 20;

/** Anonymous resident MiB of this process by kind of mapping. */
export function anonByMapping(smaps: string): Record<'mainArena' | 'small' | 'mid' | 'large', number> {
  const out = { mainArena: 0, small: 0, mid: 0, large: 0 };
  let kind: keyof typeof out | undefined;
  for (const line of smaps.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const size = (Number.parseInt(head[2], 16) - Number.parseInt(head[1], 16)) / MiB;
      const path = head[3];
      if (path === '[heap]') kind = 'mainArena';
      else if (path !== '')
        kind = undefined; // files, stacks, vdso
      else kind = size < 1 ? 'small' : size < 60 ? 'mid' : 'large';
      continue;
    }
    const anon = /^Anonymous:\s+(\d+) kB/.exec(line);
    if (anon && kind) out[kind] += Number(anon[1]) / 1024;
  }
  return out;
}

function dirMiB(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirMiB(p) : statSync(p).size / MiB;
  }
  return n;
}

const bench = startBench(process.env.CORE_MEM_NAME ?? 'core-memory');
const dir = await mkdtemp(join(tmpdir(), 'ticklake-bench-core-memory-'));
const batches = seededBatches({
  symbols: selectSymbols(await loadUniverse()),
  seed: 3,
  start: Date.UTC(2026, 0, 5, 9, 30),
  partitions: PARTITIONS,
  size: TICKS,
  tickIntervalMs: 1,
  source: 'core-memory',
});
function nextBatch(): InMessage[] {
  const b = batches.next();
  if (b.done) throw new Error('bench: the simulation ended before the last batch');
  return b.value;
}

const seeds = await loadPortfolioSeeds();
const { state, core, delivery, close, reopen } = await openBenchCore({
  dir,
  windows: WINDOWS,
  portfolios: seeds.portfolios,
  holdings: seeds.holdings,
  partitions: PARTITIONS,
  stateCheckpointBatches: STATE_CHECKPOINT,
  settings: SETTINGS,
});

const samples: Record<string, number>[] = [];
async function sample(batch: number, t0: number): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  const tags = await state.conn.runAndReadAll('SELECT tag, memory_usage_bytes::DOUBLE FROM duckdb_memory()');
  let duckdbMiB = 0;
  const byTag: Record<string, number> = {};
  for (const [tag, bytes] of tags.getRowsJS()) {
    duckdbMiB += Number(bytes) / MiB;
    if (Number(bytes) > 0) byTag[`duckdb_${String(tag)}MiB`] = Number(bytes) / MiB;
  }
  const heapMiB = process.memoryUsage().heapTotal / MiB;
  const anonMiB = (procStatus(process.pid)?.rssAnon ?? 0) / 1024 / 1024;
  const round = (x: number) => Math.round(x * 10) / 10;
  const byMapping = Object.entries(anonByMapping(readFileSync('/proc/self/smaps', 'utf8')));
  samples.push({
    batch,
    s: round((performance.now() - t0) / 1000),
    anonMiB: round(anonMiB),
    heapMiB: round(heapMiB),
    duckdbMiB: round(duckdbMiB),
    restMiB: round(anonMiB - heapMiB - duckdbMiB),
    ...Object.fromEntries(byMapping.map(([k, v]) => [`${k}MiB`, round(v)])),
    stateMiB: round(dirMiB(join(dir, 'state'))),
    ...Object.fromEntries(Object.entries(byTag).map(([k, v]) => [k, round(v)])),
  });
}

const t0 = performance.now();
let delivering: Promise<unknown> = Promise.resolve();
let pending: Promise<unknown> | null = null;
for (let i = 1; i <= BATCHES; i++) {
  const submitted = core.submit(nextBatch());
  if (pending) await pending;
  await delivering;
  delivering = delivery.deliverAll();
  pending = submitted;
  const reopening = REOPEN > 0 && i % REOPEN === 0;
  if (i % EVERY === 0 || reopening) {
    await pending;
    await delivering;
    pending = null;
    if (reopening) await reopen();
    if (i % EVERY === 0) await sample(i, t0);
  }
  if (PACE_MS > 0) await new Promise((r) => setTimeout(r, Math.max(0, t0 + i * PACE_MS - performance.now())));
}
await pending;
await delivering;
await core.flush();
close();
await rm(dir, { recursive: true, force: true });

const after = samples.filter((s) => s.batch > WARMUP);
const perBatch = (key: string) => {
  const { slope: m, stderr } = slope(
    after.map((s) => s.batch),
    after.map((s) => s[key] ?? 0),
  );
  return { kib: m * 1024, pm: 2 * stderr * 1024 };
};
const rest = perBatch('restMiB');
bench.finish(
  [
    {
      metric: `native memory outside V8 and DuckDB's buffer managers, batches ${WARMUP}-${BATCHES}`,
      value: Math.round(rest.kib * 100) / 100,
      unit: 'KiB/batch',
    },
  ],
  {
    settings: { BATCHES, TICKS, PACE_MS, EVERY, WARMUP, WINDOWS, STATE_CHECKPOINT, REOPEN, DUCKDB_SET: SETTINGS },
    slopesKiBPerBatch: Object.fromEntries(
      [...new Set(samples.flatMap((s) => Object.keys(s)))]
        .filter((k) => k.endsWith('MiB'))
        .map((k) => {
          const { kib, pm } = perBatch(k);
          return [k, `${kib.toFixed(2)} ± ${pm.toFixed(2)}`];
        }),
    ),
    samples,
  },
);
