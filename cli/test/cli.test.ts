import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { renderCliDoc, renderReadme } from '../gen-docs.js';
import { loadCommands } from '../main.js';

const run = promisify(execFile);
const BIN = new URL('../bin.js', import.meta.url).pathname;

describe('ticklake CLI', () => {
  it('the README configuration table and docs/cli.md are current (fix: npx ticklake gen-docs)', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(renderReadme(readme)).toBe(readme);
    const cliDoc = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
    expect(await renderCliDoc(cliDoc)).toBe(cliDoc);
  });

  it('--help lists every visible command, and each command has --help', { timeout: 180_000 }, async () => {
    const { stdout } = await run(process.execPath, [BIN, '--help']);
    const commands = (await loadCommands()).filter((c) => !c.hidden);
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands) expect(stdout).toMatch(new RegExp(`^  ${c.name} +\\S`, 'm'));
    // four at a time: one process per command, sequentially, took over a minute on a loaded machine
    for (let i = 0; i < commands.length; i += 4) {
      const helps = await Promise.all(
        commands.slice(i, i + 4).map((c) => run(process.execPath, [BIN, c.name, '--help'])),
      );
      helps.forEach((help, j) => {
        const c = commands[i + j];
        expect(help.stdout).toContain(`Usage: ticklake ${c.name}`);
        expect(help.stdout).toContain('--log-level');
      });
    }
  });

  it('an unknown command and an unknown flag exit 2 with a message naming them', async () => {
    const a = await run(process.execPath, [BIN, 'frobnicate']).catch((e) => e);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('Unknown command "frobnicate"; see ticklake --help [TL_CONFIG_UNKNOWN_COMMAND]');
    const b = await run(process.execPath, [BIN, 'start', '--frobnicate']).catch((e) => e);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('Unknown option --frobnicate for "start" [TL_CONFIG_UNKNOWN_FLAG]');
  });
});
