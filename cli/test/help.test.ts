/**
 * Each command's `--help` speaks of that command only: every `--flag` its option texts mention is one the command
 * accepts, and no text says what the setting does for another command ("start: ...", "produce --live ...", "in
 * process/start"). Settings shared by several commands carry per-command text in core/config.ts (`commandHelp`).
 */
import { describe, expect, it } from 'vitest';
import { helpFor, settingsFor } from '../../core/config.js';
import { commandHelp } from '../help.js';
import { loadCommands } from '../main.js';

const commands = await loadCommands();
const names = commands.map((c) => c.name);

describe('per-command help', () => {
  for (const c of commands.filter((x) => !x.hidden)) {
    it(`${c.name} --help names only its own flags and no other command`, () => {
      const flags = new Set([...settingsFor(c.name).map((s) => s.flag), '--help', '--no-private-mysql']);
      for (const s of settingsFor(c.name)) {
        const text = helpFor(s, c.name);
        const foreign = [...text.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]).filter((f) => !flags.has(f));
        expect({ flag: s.flag, foreign }).toEqual({ flag: s.flag, foreign: [] });
        const alt = names.join('|');
        const others = names.filter(
          (n) =>
            n !== c.name &&
            (new RegExp(`\\b${n}(:| --[a-z])`).test(text) ||
              new RegExp(`\\b(${alt})/${n}\\b|\\b${n}/(${alt})\\b`).test(text)),
        );
        expect({ flag: s.flag, others }).toEqual({ flag: s.flag, others: [] });
      }
    });
  }

  it('the examples of the issue: produce --help does not talk about start, start --help not of --open-dates', () => {
    const get = (n: string) => commandHelp(commands.find((c) => c.name === n)!);
    expect(get('produce')).not.toMatch(/start:|ticks per second of all exchanges/);
    expect(get('start')).not.toContain('--open-dates');
    expect(get('start')).not.toContain('--until-idle');
    expect(get('compact')).toContain('With --open-dates: how old (by mtime) a file must be before it is merged');
  });
});
