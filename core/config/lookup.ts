/**
 * Finding declared settings: those of a command, a setting's help for a command, its choices, its flag, and its
 * default (typed and converted, for the library functions the commands call).
 */
import { convert } from './convert.js';
import { SETTINGS } from './declared.js';
import type { ChoiceOf, ChoiceSettingName, DefaultedSettingName, DefaultOf } from './names.js';
import type { Setting } from './setting.js';

/** The help of a setting as `ticklake <command> --help` shows it. */
export function helpFor(setting: Setting, command: string): string {
  return setting.commandHelp?.[command] ?? setting.help;
}

export function settingsFor(command: string): Setting[] {
  return SETTINGS.filter((s) => s.commands.includes(command) || s.commands.includes('*'));
}

/** The declared choices of a setting, e.g. for a module that also takes the value from elsewhere (a shell command). */
export function choicesOf<N extends ChoiceSettingName>(name: N): readonly ChoiceOf<N>[] {
  const s = SETTINGS.find((x) => x.name === name);
  return (s?.choices ?? []) as readonly ChoiceOf<N>[];
}

/** How an error names a setting: its flag and its env var. */
export function flagOf(name: string): string {
  const s = SETTINGS.find((x) => x.name === name);
  return s ? `${s.flag} / ${s.env}` : name;
}

/**
 * The declared default of a setting, converted (durations in ms, sizes in bytes): what the library functions the
 * commands call (startBroker, buildApp, startProcessor, …) fall back to, so that a default is stated once.
 * `command` picks a per-command default (`commandDefaults`); without it, the general one.
 */
export function settingDefault<N extends DefaultedSettingName>(name: N, command?: string): DefaultOf<N> {
  const s = SETTINGS.find((x) => x.name === name) as Setting;
  const raw = (command !== undefined ? s.commandDefaults?.[command] : undefined) ?? (s.default as string);
  return convert(s, raw, `default of ${s.flag}`, command) as DefaultOf<N>;
}
