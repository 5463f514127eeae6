/**
 * The server's own paths never reach an HTTP client (issue 21 item 10): an error message that names a file shows
 * it relative to the lake (`ticks/date=2026-01-05/x.parquet`), a scratch file as `<scratch>/...`, a file of a
 * `--sql-dir` directory under that directory's name, and anything under the home directory with `~`.
 *
 * The query processes already see the lake as their working directory (api/pool/query-worker.ts), so DuckDB's
 * messages about lake files are relative from the start; this is the last step before a message leaves the
 * server (api/plugins/errors.ts).
 */
import { realpathSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, resolve } from 'node:path';

export type PathMasker = (text: string) => string;

declare module 'fastify' {
  interface FastifyInstance {
    /** Rewrites the server's paths in a text meant for a client. */
    maskPaths: PathMasker;
  }
}

function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function withReal(p: string): string[] {
  const abs = resolve(p);
  try {
    const real = realpathSync(abs);
    return real === abs ? [abs] : [abs, real];
  } catch {
    return [abs];
  }
}

export function pathMasker(o: { lakeDir: string; sqlDirs?: readonly string[] }): PathMasker {
  const rules: [RegExp, string][] = [];
  for (const lake of withReal(o.lakeDir)) {
    rules.push([new RegExp(`${reEscape(lake)}/+`, 'g'), ''], [new RegExp(`${reEscape(lake)}(?![\\w.-])`, 'g'), '.']);
  }
  for (const tmp of withReal(tmpdir())) {
    rules.push([new RegExp(`${reEscape(tmp)}/ticklake-(?:query|session)-[\\w]+`, 'g'), '<scratch>']);
  }
  for (const d of o.sqlDirs ?? []) {
    for (const abs of withReal(d)) rules.push([new RegExp(reEscape(abs), 'g'), basename(abs)]);
  }
  for (const home of withReal(homedir())) {
    if (home !== '/') rules.push([new RegExp(`${reEscape(home)}(?=/|$|[^\\w.-])`, 'g'), '~']);
  }
  // longest paths first, so a lake under the home directory becomes relative, not ~/...
  rules.sort((a, b) => b[0].source.length - a[0].source.length);
  return (text) => rules.reduce((t, [re, as]) => t.replace(re, as), text);
}
