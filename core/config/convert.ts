/**
 * One raw setting value (from a flag, an env var or a default) checked against its choices and converted to its type;
 * durations (`5s`) in milliseconds, sizes (`64MiB`) in bytes.
 */
import { tlError } from '../errors.js';
import type { Setting, SettingValue } from './setting.js';

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 365 * 86_400_000,
};
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** `250ms`, `5s`, `1m`, `2h`, `1d`, `1w`, `2y` (a year is 365 days), or a plain number of milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?\s*$/i.exec(text);
  if (!m) throw new Error(`not a duration (examples: 250ms, 5s, 1m, 1h, 1d, 2y)`);
  return Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? 'ms').toLowerCase()]);
}

/** `1GiB`, `64MiB`, `500kb`, or a plain number of bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(text);
  if (!m) throw new Error(`not a size (examples: 1048576, 512KiB, 64MiB, 1GiB)`);
  return Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()]);
}

/** The values a setting may take for a command (its `commandChoices`, else its `choices`); undefined: any. */
export function choicesFor(setting: Setting, command?: string): readonly string[] | undefined {
  return (command !== undefined ? setting.commandChoices?.[command] : undefined) ?? setting.choices;
}

/**
 * One raw value (a flag's, an env var's or a default) converted to the setting's type. `source` names where it came
 * from (the flag or the env var), for the error; `command` selects per-command choices.
 */
export function convert(setting: Setting, raw: string, source: string, command?: string): SettingValue {
  const bad = (reason: string, value = raw) =>
    tlError('TL_CONFIG_BAD_VALUE', { setting: source, value: JSON.stringify(value), reason });
  const choices = choicesFor(setting, command);
  const chosen = (v: string): string => {
    if (choices === undefined) return v;
    const c = choices.find((x) => x.toLowerCase() === v.trim().toLowerCase());
    if (c === undefined) throw bad(`expected one of: ${choices.join(', ')}`, v);
    return c;
  };
  switch (setting.type) {
    case 'string':
      return chosen(raw);
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw bad('expected a whole number');
      return Number(raw);
    }
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw bad('expected a number');
      return n;
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      throw bad('expected true or false');
    }
    case 'duration':
      try {
        return parseDuration(raw);
      } catch (e) {
        throw bad((e as Error).message);
      }
    case 'size':
      try {
        return parseSize(raw);
      } catch (e) {
        throw bad((e as Error).message);
      }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
        .map(chosen);
  }
}
