/**
 * The dependency graph of scheduled jobs, found from what each file reads (scheduler/sql-tables.ts):
 *
 * 1. Producer edges: a job that reads a table another job materializes runs after it.
 * 2. Gate edges: a check gates the tables it reads: a job reading one of them runs after the check, unless the check
 *    itself comes after that job through producer edges (then the check is a test of the job's output, a "dbt
 *    test", and runs after it).
 * 3. `pipeline_runs` is written by every run: a job reading it runs after every job that does not read it.
 *
 * A cycle is an error naming the files on it. `order` is a topological order (ties by name), which is also the
 * order jobs of one tick are started in.
 */
import { tlError } from '../core/errors.js';

export const RUNS_TABLE = 'pipeline_runs';

export interface GraphJob {
  name: string;
  kind: 'model' | 'report' | 'check';
  /** Display path for errors. */
  file: string;
  reads: Set<string>;
  materialize?: string;
}

export interface JobGraph {
  /** Job name → the jobs it runs after, with why. */
  upstream: Map<string, { job: string; via: 'reads' | 'gate' | 'runs'; table?: string }[]>;
  order: string[];
}

export function buildGraph(jobs: GraphJob[]): JobGraph {
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const producerOf = new Map<string, string>();
  for (const j of jobs) if (j.materialize) producerOf.set(j.materialize, j.name);
  const upstream = new Map<string, { job: string; via: 'reads' | 'gate' | 'runs'; table?: string }[]>();
  for (const j of jobs) upstream.set(j.name, []);

  for (const j of jobs) {
    for (const t of j.reads) {
      const p = producerOf.get(t);
      if (p && p !== j.name) upstream.get(j.name)?.push({ job: p, via: 'reads', table: t });
    }
  }
  const reachable = (from: string, to: string): boolean => {
    // is `to` upstream of `from` through producer edges (from depends on to)?
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length) {
      const n = stack.pop() as string;
      if (n === to) return true;
      if (seen.has(n)) continue;
      seen.add(n);
      for (const u of upstream.get(n) ?? []) if (u.via === 'reads') stack.push(u.job);
    }
    return false;
  };
  for (const c of jobs) {
    if (c.kind !== 'check') continue;
    for (const j of jobs) {
      if (j.name === c.name || j.kind === 'check') continue;
      const shared = [...c.reads].find((t) => t !== RUNS_TABLE && j.reads.has(t));
      if (!shared) continue;
      if (reachable(c.name, j.name)) continue; // the check tests j's output: it runs after j
      upstream.get(j.name)?.push({ job: c.name, via: 'gate', table: shared });
    }
  }
  for (const j of jobs) {
    if (!j.reads.has(RUNS_TABLE)) continue;
    for (const k of jobs) {
      if (k.name !== j.name && !k.reads.has(RUNS_TABLE)) upstream.get(j.name)?.push({ job: k.name, via: 'runs' });
    }
  }

  // Kahn's algorithm, ties by name, so the order is stable
  const indegree = new Map(jobs.map((j) => [j.name, new Set((upstream.get(j.name) ?? []).map((u) => u.job)).size]));
  const down = new Map<string, Set<string>>();
  for (const [n, ups] of upstream) for (const u of ups) down.set(u.job, (down.get(u.job) ?? new Set()).add(n));
  const ready = jobs.filter((j) => indegree.get(j.name) === 0).map((j) => j.name);
  const order: string[] = [];
  while (ready.length) {
    ready.sort();
    const n = ready.shift() as string;
    order.push(n);
    for (const d of down.get(n) ?? []) {
      const k = (indegree.get(d) ?? 0) - 1;
      indegree.set(d, k);
      if (k === 0) ready.push(d);
    }
  }
  if (order.length < jobs.length) {
    const stuck = jobs.filter((j) => !order.includes(j.name)).map((j) => byName.get(j.name)?.file ?? j.name);
    throw tlError('TL_SCHEDULE_CYCLE', { files: stuck.join(', ') });
  }
  return { upstream, order };
}

/** Every job downstream of `name` (transitively), for "what a failing blocking check stops". */
export function downstreamOf(graph: JobGraph, name: string): Set<string> {
  const out = new Set<string>();
  const stack = [name];
  while (stack.length) {
    const n = stack.pop() as string;
    for (const [j, ups] of graph.upstream) {
      if (!out.has(j) && ups.some((u) => u.job === n)) {
        out.add(j);
        stack.push(j);
      }
    }
  }
  return out;
}
