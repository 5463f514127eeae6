/** Help text, derived from the command files and the declared settings (core/config.ts). */
import { choicesFor, helpFor, type Setting, settingsFor } from '../core/config.js';
import type { Command } from './command.js';

export function mainHelp(commands: Command[]): string {
  const visible = commands.filter((c) => !c.hidden);
  const width = Math.max(...visible.map((c) => c.name.length));
  return [
    'Usage: ticklake <command> [options]',
    '',
    'Stream-processing SQL pipeline for market data.',
    '',
    'Commands:',
    ...visible.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `ticklake <command> --help` for the options of a command, `ticklake --version` for the version.',
    'Every option can also be set by its TICKLAKE_* environment variable.',
  ].join('\n');
}

/** What follows the flag in `--help`: its type (the choices, if any, are listed in the text). */
function placeholder(s: Setting): string {
  if (s.type === 'bool') return '';
  if (s.repeatable) return ' <name=value>';
  return ` <${s.type === 'list' ? 'a,b' : s.type}>`;
}

export function commandHelp(c: Command): string {
  const settings = settingsFor(c.name);
  const rows = settings.map((s) => {
    const def = s.commandDefaults?.[c.name] ?? s.default;
    const choices = choicesFor(s, c.name);
    const each = choices ? ` (${s.type === 'list' ? 'each ' : ''}one of: ${choices.join(', ')})` : '';
    return {
      left: `${s.flag}${placeholder(s)}`,
      right: `${helpFor(s, c.name)}${each}${def !== undefined ? ` (default: ${def})` : ''} [${s.env}]`,
    };
  });
  const width = Math.max(0, ...rows.map((r) => r.left.length));
  return [
    `Usage: ticklake ${c.name} ${c.usage ?? '[options]'}`,
    '',
    c.summary,
    ...(c.description ? ['', c.description] : []),
    '',
    'Options:',
    ...rows.map((r) => `  ${r.left.padEnd(width)}  ${r.right}`),
    `  ${'--help'.padEnd(width)}  Show this help`,
  ].join('\n');
}
