/**
 * Which declared tables the keyed-table engine runs, and from when (docs/tables.md, "Running it").
 *
 * Starting a table costs its state tables (engine.ts `start`: DuckDB DDL and a WAL sync) and a place in the consumer
 * group's subscription (its empty lake schema file is written at every start, started or not: processor.ts). A run
 * over ticks alone paid that for ten sources and six jobs whose topics held nothing: 1.3–1.8 CPU-s and 3–7 s of
 * wall time per `ticklake process --until-idle` of 2,000 ticks, with a second consumer-group join
 * (bench/idle-tables.bench.ts, bench/HISTORY.md). So the tables start by group, when there is something to do:
 *
 * - a group is the sources and jobs connected by what the jobs read (and sources sharing a topic): a job starts with
 *   every input, so its select never runs over a table that is not consumed yet, and within a group nothing differs
 *   from starting everything at once;
 * - a group starts when one of its topics holds a message (a partition's high watermark above 0), when the state
 *   already consumed from one of its topics (its tables have rows to restore), or when one of its jobs yields rows
 *   over empty inputs (`rowsWhenEmpty`: a global aggregate, whose result exists before any message);
 * - the processor polls the topics of the groups not started yet with its lag (every second, and at each idle check
 *   of `--until-idle`), so a topic that gets its first message later — a workbook uploaded an hour after the start,
 *   a topic created after it — is consumed from its first offset, as if it had been started at once.
 */
import type { Logger } from '../../core/log.js';
import { relationOf, type TableCatalog } from './catalog.js';

export interface TableGroup {
  /** Its sources and jobs, by name. */
  names: Set<string>;
  /** The topics its sources read. */
  topics: string[];
  /** One of its jobs yields rows over empty inputs. */
  rowsWhenEmpty: boolean;
}

/** The catalog's tables in groups that start together: connected by what a job reads, or by a shared topic. */
export function tableGroups(c: TableCatalog): TableGroup[] {
  const parent = new Map<string, string>();
  const find = (n: string): string => {
    let r = n;
    while (parent.get(r) !== r) r = parent.get(r) as string;
    parent.set(n, r);
    return r;
  };
  const union = (a: string, b: string) => parent.set(find(a), find(b));
  for (const t of [...c.sources, ...c.jobs]) parent.set(t.name, t.name);
  const byTopic = new Map<string, string>();
  for (const s of c.sources) {
    const first = byTopic.get(s.topic);
    if (first === undefined) byTopic.set(s.topic, s.name);
    else union(s.name, first);
  }
  for (const j of c.jobs) {
    for (const r of j.reads) {
      const d = relationOf(r, c.byName)?.decl;
      if (d && parent.has(d.name)) union(j.name, d.name);
    }
  }
  const groups = new Map<string, TableGroup>();
  for (const t of [...c.sources, ...c.jobs]) {
    const root = find(t.name);
    const g = groups.get(root) ?? { names: new Set<string>(), topics: [], rowsWhenEmpty: false };
    groups.set(root, g);
    g.names.add(t.name);
    if (t.kind === 'source' && !g.topics.includes(t.topic)) g.topics.push(t.topic);
    if (t.kind === 'job' && t.rowsWhenEmpty) g.rowsWhenEmpty = true;
  }
  return [...groups.values()];
}

/** The groups of tables not started yet. */
export class PendingTables {
  private groups: TableGroup[];

  constructor(catalog: TableCatalog) {
    this.groups = tableGroups(catalog);
  }

  /** The topics of the groups not started yet (to poll). */
  topics(): string[] {
    return [...new Set(this.groups.flatMap((g) => g.topics))];
  }

  get size(): number {
    return this.groups.length;
  }

  /**
   * Removes and returns the names of the groups due: one of whose topics holds a message in `highs` (high
   * watermarks per partition; a topic missing there is empty or does not exist), or was consumed from before
   * (`consumed`: the state's next offsets), or with a job that yields rows over empty inputs.
   */
  takeDue(
    highs: ReadonlyMap<string, ReadonlyMap<number, number>>,
    consumed: ReadonlyMap<string, unknown>,
  ): Set<string> {
    const hasMessage = (topic: string) => [...(highs.get(topic)?.values() ?? [])].some((h) => h > 0);
    const due = this.groups.filter((g) => g.rowsWhenEmpty || g.topics.some((t) => consumed.has(t) || hasMessage(t)));
    this.groups = this.groups.filter((g) => !due.includes(g));
    return new Set(due.flatMap((g) => [...g.names]));
  }
}

/** The catalog narrowed to `sources` and the jobs that read only what is kept. */
export function selectSources(c: TableCatalog, names: readonly string[] | undefined, log: Logger): TableCatalog {
  if (!names || names.length === 0) return c;
  const unknown = names.filter((n) => !c.byName.has(n));
  if (unknown.length) log.warn({ unknown }, '--sources names sources that are not declared');
  const keep = new Set(c.sources.filter((s) => names.includes(s.name)).map((s) => s.name));
  // jobs come in dependency order: a job is kept when everything it reads is
  const kept = c.jobs.filter((j) => {
    const ok = j.reads.every((r) => keep.has(r.replace(/_history$/, '')));
    if (ok) keep.add(j.name);
    return ok;
  });
  return { ...c, sources: c.sources.filter((s) => keep.has(s.name)), jobs: kept };
}
