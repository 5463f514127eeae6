/**
 * `.compacted.json` in a partition directory: which file names compaction has merged into which file, and the
 * merge in progress (if a crash interrupted one). Readers ignore it (dot-name, not `*.parquet`).
 *
 * - Recovery: a `pending` entry means the merged file is complete (as `.<file>.tmp` or already renamed) and the
 *   sources are to be deleted; the next compaction finishes the job (`lake/compact.ts`).
 * - Re-delivery: the writer consults `merged` so that re-writing a batch whose file was merged away is skipped
 *   instead of duplicating its rows next to the merged file (`lake/writer.ts`).
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export const MANIFEST = '.compacted.json';

export interface CompactManifest {
  version: 1;
  /** merged file name → every file name whose rows it holds (transitively). */
  merged: Record<string, string[]>;
  /** A merge between "merged file complete" and "sources deleted + file published". */
  pending?: { file: string; sources: string[] };
}

export function emptyManifest(): CompactManifest {
  return { version: 1, merged: {} };
}

export async function readManifest(dir: string): Promise<CompactManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const doc = JSON.parse(text) as CompactManifest;
  if (doc?.version !== 1 || typeof doc.merged !== 'object') {
    throw new Error(`${join(dir, MANIFEST)} is not a compaction manifest of version 1`);
  }
  return doc;
}

/** Atomically replaces the manifest (write dot-tmp, fsync, rename, fsync the directory). */
export async function writeManifest(dir: string, doc: CompactManifest): Promise<void> {
  const tmp = join(dir, `${MANIFEST}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(`${JSON.stringify(doc, null, 1)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, MANIFEST));
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** The merged file that already holds the rows of `fileName`, if compaction merged it away. */
export async function mergedInto(dir: string, fileName: string): Promise<string | undefined> {
  const doc = await readManifest(dir);
  if (!doc) return undefined;
  if (doc.pending?.sources.includes(fileName)) return doc.pending.file;
  for (const [file, sources] of Object.entries(doc.merged)) if (sources.includes(fileName)) return file;
  return undefined;
}
