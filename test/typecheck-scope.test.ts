/**
 * `npm run typecheck` (tsc over tsconfig.json's `include`) must see every TypeScript file of the repository. A
 * folder left out of `include` is checked only through what imports it: its tests, which nothing imports, are
 * never checked, while vitest strips their types and runs them anyway (history/ and deploy/ were left out so).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe.skipIf(!existsSync(join(ROOT, '.git')))('the typecheck (needs a git checkout)', () => {
  it("covers every folder that holds TypeScript: tsconfig.json's include names each", () => {
    const config = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
    const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
    const tops = new Set(files.filter(Boolean).map((f) => (f.includes('/') ? f.split('/')[0] : f)));
    expect([...tops].filter((t) => !config.include.includes(t)).sort()).toEqual([]);
  });
});
