/**
 * Small durable file operations: replacing a file so that a crash leaves either the old or the new content
 * (write, fsync, rename, fsync dir), and a rename or unlink that is on disk before the call returns.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Write to `<path>.tmp`, fsync, rename over path; with syncDir (default) also fsync the directory. */
export function writeFileAtomic(path: string, content: string, syncDir = true): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  if (syncDir) fsyncDir(dirname(path));
}

export function renameDurably(from: string, to: string): void {
  renameSync(from, to);
  fsyncDir(dirname(to));
}

/** Unlinks (a missing file is fine) and makes the removal durable. */
export function unlinkDurably(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fsyncDir(dirname(path));
}
