/**
 * `ticklake gen-docs [--check]`: rewrites the generated sections of README.md (configuration table) and docs/cli.md
 * (CLI reference: every command's --help) from core/config.ts and the command files. `cli/test/cli.test.ts` fails
 * when either is stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { SETTINGS, type Setting } from '../core/config.js';
import type { Command } from './command.js';
import { commandHelp, mainHelp } from './help.js';

export const README_PATH = new URL('../README.md', import.meta.url);
export const CLI_DOC_PATH = new URL('../docs/cli.md', import.meta.url);

/** ` Choices: `a`, `b` (upload: `a`).` for a setting with declared choices. */
function choicesText(s: Setting): string {
  if (!s.choices) return '';
  const code = (list: readonly string[]) => list.map((c) => `\`${c}\``).join(', ');
  const per = Object.entries(s.commandChoices ?? {}).map(([c, list]) => ` (${c}: ${code(list)})`);
  return `. Choices${s.type === 'list' ? ' (each item)' : ''}: ${code(s.choices)}${per.join('')}`;
}

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
      (own.length === 0 ? s.help : own.length === s.commands.length ? own.join('; ') : [s.help, ...own].join('; ')) +
      choicesText(s);
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
  if (start < 0 || stop < start) throw new Error(`no generated section "${name}"`);
  return text.slice(0, start + begin.length) + '\n' + body + '\n' + text.slice(stop);
}

export function renderReadme(current: string): string {
  return replaceSection(current, 'config', configTable());
}

export async function renderCliDoc(current: string): Promise<string> {
  const { loadCommands } = await import('./main.js');
  return replaceSection(current, 'cli', cliReference(await loadCommands()));
}

export const command: Command = {
  name: 'gen-docs',
  summary: 'Regenerate the README configuration table and the CLI reference (docs/cli.md)',
  hidden: true,
  async run(config) {
    let stale = false;
    for (const [path, render] of [
      [README_PATH, renderReadme],
      [CLI_DOC_PATH, renderCliDoc],
    ] as const) {
      const current = await readFile(path, 'utf8');
      const next = await render(current);
      if (next === current) continue;
      if (config.positional.includes('check')) {
        process.stderr.write(`${path.pathname} is out of date: run \`npx ticklake gen-docs\`\n`);
        stale = true;
      } else await writeFile(path, next);
    }
    return stale ? 1 : 0;
  },
};
