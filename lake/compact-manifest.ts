/**
 * `.compacted.json` in a partition directory: which file names compaction has merged into which file, and the
 * merge in progress (if a crash interrupted one). Readers ignore it (dot-name, not `*.parquet`).
 *
 * - Recovery: a `pending` entry means the merged file is complete (as `.<file>.tmp` or already renamed) and the
 *   sources are to be deleted; the next compaction finishes the job (`lake/compact.ts`).
 * - Re-delivery: the writer consults `merged` so that re-writing a batch whose file was merged away is skipped
 *   instead of duplicating its rows next to the merged file (`lake/writer.ts`). A merged file merged again hands
 *   its names on to the new one, so the lookup is transitive.
 * - Size: each merged file's names are stored as exact ranges (lake/compact-names.ts), so a day of ~10^5 files costs
 *   a few hundred KB at most rather than megabytes; version 1 manifests (plain name lists) are still read.
 */
import { open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SourceSet, type SourceSetJson } from './compact-names.js';

export const MANIFEST = '.compacted.json';

export interface CompactManifest {
  version: 2;
  /** merged file name → every file name whose rows it holds (transitively). */
  merged: Record<string, SourceSet>;
  /** A merge between "merged file complete" and "sources deleted + file published". */
  pending?: { file: string; sources: string[] };
}

interface ManifestJson {
  version: 1 | 2;
  merged: Record<string, SourceSetJson | string[]>;
  pending?: { file: string; sources: string[] };
}

export function emptyManifest(): CompactManifest {
  return { version: 2, merged: {} };
}

export async function readManifest(dir: string): Promise<CompactManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return parseManifest(text, join(dir, MANIFEST));
}

export function parseManifest(text: string, where: string): CompactManifest {
  const doc = JSON.parse(text) as ManifestJson;
  if ((doc?.version !== 1 && doc?.version !== 2) || typeof doc.merged !== 'object') {
    throw new Error(`${where} is not a compaction manifest of version 1 or 2`);
  }
  const merged: Record<string, SourceSet> = {};
  for (const [file, set] of Object.entries(doc.merged)) merged[file] = SourceSet.fromJSON(set);
  return { version: 2, merged, ...(doc.pending ? { pending: doc.pending } : {}) };
}

export function manifestText(doc: CompactManifest): string {
  const merged: Record<string, SourceSetJson> = {};
  for (const [file, set] of Object.entries(doc.merged)) merged[file] = set.toJSON();
  return `${JSON.stringify({ version: 2, merged, ...(doc.pending ? { pending: doc.pending } : {}) })}\n`;
}

/** Atomically replaces the manifest (write dot-tmp, fsync, rename, fsync the directory). */
export async function writeManifest(dir: string, doc: CompactManifest): Promise<void> {
  const tmp = join(dir, `${MANIFEST}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(manifestText(doc));
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

/** Parsed manifests by directory, reused while the file is unchanged (the writer asks on every batch). */
const cache = new Map<string, { sig: string; doc: CompactManifest }>();
const CACHE_DIRS = 32;

async function cachedManifest(dir: string): Promise<CompactManifest | undefined> {
  const path = join(dir, MANIFEST);
  const st = await stat(path, { bigint: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!st) {
    cache.delete(dir);
    return undefined;
  }
  // rename() gives every new version a new inode; size and mtime guard against inode reuse
  const sig = `${st.ino}:${st.size}:${st.mtimeNs}`;
  const hit = cache.get(dir);
  if (hit?.sig === sig) return hit.doc;
  const doc = await readManifest(dir);
  if (!doc) return undefined;
  cache.delete(dir);
  if (cache.size >= CACHE_DIRS) cache.delete(cache.keys().next().value as string);
  cache.set(dir, { sig, doc });
  return doc;
}

/** The merged file that already holds the rows of `fileName`, if compaction merged it away (or is doing so). */
export async function mergedInto(dir: string, fileName: string): Promise<string | undefined> {
  const doc = await cachedManifest(dir);
  if (!doc) return undefined;
  if (doc.pending?.sources.includes(fileName)) return doc.pending.file;
  for (const [file, sources] of Object.entries(doc.merged)) if (sources.has(fileName)) return file;
  return undefined;
}
