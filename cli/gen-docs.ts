/**
 * `ticklake gen-docs [--check]`: rewrites the generated sections of README.md (configuration table,
 * CLI reference) from core/config.ts and the command files. `core/test/readme.test.ts` fails when stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { SETTINGS } from '../core/config.js';
import type { Command } from './command.js';
import { commandHelp, mainHelp } from './help.js';

export const README_PATH = new URL('../README.md', import.meta.url);

export function configTable(): string {
  const rows = SETTINGS.map((s) => {
    const defaults = [
      s.default !== undefined ? `\`${s.default}\`` : '',
      ...Object.entries(s.commandDefaults ?? {}).map(([c, v]) => `\`${v}\` (${c})`),
    ]
      .filter(Boolean)
      .join(', ');
    const cmds = s.commands.includes('*') ? 'all' : s.commands.join(', ');
    const own = Object.entries(s.commandHelp ?? {}).map(([c, text]) => `${c}: ${text}`);
    const meaning =
      own.length === 0 ? s.help : own.length === s.commands.length ? own.join('; ') : [s.help, ...own].join('; ');
    return `| \`${s.flag}\` | \`${s.env}\` | ${defaults || '—'} | ${cmds} | ${meaning} |`;
  });
  return ['| Flag | Environment | Default | Commands | Meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

export function cliReference(commands: Command[]): string {
  const parts = ['```text', '$ ticklake --help', mainHelp(commands), '```'];
  for (const c of commands.filter((x) => !x.hidden)) {
    parts.push('', '```text', `$ ticklake ${c.name} --help`, commandHelp(c), '```');
  }
  return parts.join('\n');
}

function replaceSection(text: string, name: string, body: string): string {
  const begin = `<!-- generated:${name} — do not edit; run \`npx ticklake gen-docs\` -->`;
  const end = `<!-- /generated:${name} -->`;
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`README.md has no generated section "${name}"`);
  return text.slice(0, start + begin.length) + '\n' + body + '\n' + text.slice(stop);
}

export async function renderReadme(current: string): Promise<string> {
  const { loadCommands } = await import('./main.js');
  const commands = await loadCommands();
  let text = replaceSection(current, 'config', configTable());
  text = replaceSection(text, 'cli', cliReference(commands));
  return text;
}

export const command: Command = {
  name: 'gen-docs',
  summary: 'Regenerate the README configuration table and CLI reference',
  hidden: true,
  async run(config) {
    const current = await readFile(README_PATH, 'utf8');
    const next = await renderReadme(current);
    if (config.positional.includes('check')) {
      if (next !== current) {
        process.stderr.write('README.md is out of date: run `npx ticklake gen-docs`\n');
        return 1;
      }
      return 0;
    }
    if (next !== current) await writeFile(README_PATH, next);
    return 0;
  },
};
