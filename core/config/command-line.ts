/** Parsing one command's argv and environment into a `Config`. */
import { tlError } from '../errors.js';
import { convert } from './convert.js';
import { settingsFor } from './lookup.js';
import { Config } from './parsed-config.js';
import type { SettingValue } from './setting.js';

/**
 * Parse argv for one command. `--flag value`, `--flag=value`, bare `--flag` and `--no-flag` for booleans.
 * Unknown flags are errors that name the flag and the command.
 */
export function parseCommandLine(command: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Config {
  const settings = settingsFor(command);
  const byFlag = new Map(settings.map((s) => [s.flag, s]));
  const values = new Map<string, SettingValue>();
  const positional: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let flag = eq >= 0 ? arg.slice(0, eq) : arg;
    let raw: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let setting = byFlag.get(flag);
    if (!setting && flag.startsWith('--no-') && raw === undefined) {
      const positive = byFlag.get(`--${flag.slice(5)}`);
      if (positive?.type === 'bool') {
        setting = positive;
        flag = positive.flag;
        raw = 'false';
      }
    }
    if (!setting) throw tlError('TL_CONFIG_UNKNOWN_FLAG', { flag, command });
    if (raw === undefined) {
      const next = argv[i + 1];
      if (setting.type === 'bool' && (next === undefined || !/^(true|false|1|0|yes|no|on|off)$/i.test(next))) {
        raw = 'true';
      } else {
        if (next === undefined) {
          throw tlError('TL_CONFIG_BAD_VALUE', { setting: flag, value: '(nothing)', reason: 'expected a value' });
        }
        raw = next;
        i++;
      }
    }
    // a repeatable setting takes each occurrence whole (`--param note=a,b=c` is one item)
    const value = setting.repeatable ? [raw] : convert(setting, raw, flag, command);
    // a repeated list flag adds to the list (`--sql-dir a --sql-dir b`, `--param a=1 --param b=2`)
    const before = values.get(setting.name);
    values.set(
      setting.name,
      setting.type === 'list' && Array.isArray(before) ? [...before, ...(value as string[])] : value,
    );
  }

  const given = new Set(values.keys());
  for (const s of settings) {
    if (values.has(s.name)) continue;
    const fromEnv = env[s.env];
    if (fromEnv !== undefined && fromEnv !== '') {
      // a repeatable setting's environment variable holds one item per line
      const v = s.repeatable
        ? fromEnv.split(/\r?\n/).filter((x) => x.trim() !== '')
        : convert(s, fromEnv, s.env, command);
      values.set(s.name, v);
      given.add(s.name);
      continue;
    }
    const def = s.commandDefaults?.[command] ?? s.default;
    values.set(s.name, def === undefined ? undefined : convert(s, def, `default of ${s.flag}`, command));
  }
  return new Config(command, values, positional, given);
}
