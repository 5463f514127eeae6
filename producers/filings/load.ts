/**
 * `ticklake filings load PATH`: one FSDS quarter (zip or folder) → the declared filing sources through Kafka.
 * Reads sub.txt, tag.txt, num.txt and pre.txt by header name (both num.txt layouts), converts and checks every
 * row, and publishes the concept map, then submissions, tags, numbers, presentation lines and (when the folder
 * has one) splits.tsv, each row one message keyed by its natural key. Valid rows are published whatever the bad
 * ones; the bad ones are returned with file:line and reason, and the command reports them and fails.
 *
 * Loading the same quarter twice sends the same rows under the same keys: the engine drops an upsert equal to
 * the key's current row, so nothing changes (docs/tables.md, "The change log").
 */
import { CONCEPTS_TOPIC, conceptRecords, readConceptMap } from './concept-map.js';
import { openQuarter } from './fsds-files.js';
import { type FileLayout, NUMBERS, PRESENTATION, SPLITS, SUBMISSIONS, TAGS } from './fsds-layouts.js';
import { type Records, toRecords } from './fsds-records.js';
import type { Publisher } from './publish.js';
import { type BadRow, parseTsv } from './tsv.js';

export interface LoadSummary {
  path: string;
  /** Messages published per topic. */
  published: Record<string, number>;
  bad: BadRow[];
  /** Columns present in a file that ticklake does not read, per file. */
  ignoredColumns: Record<string, string[]>;
}

/** Reads and checks a quarter without publishing: the records per layout and the bad rows. */
export async function readQuarter(path: string): Promise<Records[]> {
  const q = await openQuarter(path);
  const read = async (layout: FileLayout, known?: ReadonlySet<string>) =>
    toRecords(
      layout,
      q.label(layout.file),
      parseTsv(q.label(layout.file), await q.text(layout.file), layout.required),
      known,
    );
  const subs = await read(SUBMISSIONS);
  const adsh = new Set(subs.records.map((r) => String(JSON.parse(r.key).adsh)));
  const out = [subs, await read(TAGS), await read(NUMBERS, adsh), await read(PRESENTATION, adsh)];
  if (q.has('splits.tsv')) out.push(await read(SPLITS));
  return out;
}

export async function loadQuarter(path: string, publisher: Publisher): Promise<LoadSummary> {
  const files = await readQuarter(path);
  const summary: LoadSummary = { path, published: {}, bad: [], ignoredColumns: {} };
  summary.published[CONCEPTS_TOPIC] = await publisher.publish(CONCEPTS_TOPIC, conceptRecords(await readConceptMap()));
  for (const f of files) {
    summary.published[f.layout.topic] = await publisher.publish(f.layout.topic, f.records);
    summary.bad.push(...f.bad);
    if (f.ignoredColumns.length > 0) summary.ignoredColumns[f.layout.file] = f.ignoredColumns;
  }
  summary.bad.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return summary;
}
