/**
 * Opens one FSDS quarter — the SEC's zip or the folder it was extracted to — and gives the text of its files by
 * name: sub.txt, num.txt, tag.txt, pre.txt (required) and ticklake's own splits.tsv (optional: stock splits of the
 * generated universe, docs/fundamentals.md). Members may sit in a sub-folder of the zip.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { tlError } from '../../core/errors.js';
import { readZip } from './zip-reader.js';

export const FSDS_FILES = ['sub.txt', 'num.txt', 'tag.txt', 'pre.txt'] as const;
export const OPTIONAL_FILES = ['splits.tsv'] as const;
export type FsdsFileName = (typeof FSDS_FILES)[number] | (typeof OPTIONAL_FILES)[number];

export interface FsdsQuarter {
  /** The path given, for messages. */
  path: string;
  /** How a file is named in messages: `2009q3.zip!num.txt` or `/dir/num.txt`. */
  label(name: FsdsFileName): string;
  has(name: FsdsFileName): boolean;
  text(name: FsdsFileName): Promise<string>;
}

export async function openQuarter(path: string): Promise<FsdsQuarter> {
  if (!existsSync(path)) throw tlError('TL_DATA_BAD_FILE', { file: path, reason: 'no such file or folder' });
  if (statSync(path).isDirectory()) {
    for (const f of FSDS_FILES) {
      if (!existsSync(join(path, f))) throw tlError('TL_DATA_BAD_FILE', { file: join(path, f), reason: 'missing' });
    }
    return {
      path,
      label: (name) => join(path, name),
      has: (name) => existsSync(join(path, name)),
      text: (name) => readFile(join(path, name), 'utf8'),
    };
  }
  const members = await readZip(path);
  const byBase = new Map([...members.values()].map((m) => [basename(m.name), m]));
  for (const f of FSDS_FILES) {
    if (!byBase.has(f)) throw tlError('TL_DATA_BAD_FILE', { file: path, reason: `the archive has no ${f}` });
  }
  return {
    path,
    label: (name) => `${path}!${name}`,
    has: (name) => byBase.has(name),
    text: async (name) => {
      const m = byBase.get(name);
      if (!m) throw tlError('TL_DATA_BAD_FILE', { file: path, reason: `the archive has no ${name}` });
      return m.read().toString('utf8');
    },
  };
}
