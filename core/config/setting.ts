/**
 * What a setting declaration is (name, flag, env var, type, default, help) and `declare`, which every list of
 * declarations in core/config/declarations/ goes through.
 */
export type SettingType = 'string' | 'int' | 'number' | 'bool' | 'duration' | 'size' | 'list';
export type SettingValue = string | number | boolean | string[] | undefined;

export interface Setting {
  /** camelCase key used in code. */
  readonly name: string;
  /** Long flag, e.g. `--lake-dir`. Two settings may share a flag only if no command uses both. */
  readonly flag: string;
  /** Environment variable, `TICKLAKE_*`. */
  readonly env: string;
  readonly type: SettingType;
  /**
   * The only values a `string` setting (or each item of a `list` setting) may take, declared here once: another value
   * is refused at parsing with an error naming the flag or env var, the value and these choices; the docs list them.
   */
  readonly choices?: readonly string[];
  /** Narrower choices for particular commands (a subset of `choices`). */
  readonly commandChoices?: Readonly<Record<string, readonly string[]>>;
  /**
   * A `list` setting whose every flag occurrence is one item, never split on commas (`--param name=value`, where the
   * value may hold commas); its environment variable holds one item per line.
   */
  readonly repeatable?: boolean;
  /** Default as it would be typed on the command line (durations like `5s`, sizes like `1GiB`). */
  readonly default?: string;
  /** Overrides of the default for particular commands. */
  readonly commandDefaults?: Readonly<Record<string, string>>;
  /** What the setting does, for every command that has no text of its own in `commandHelp`. */
  readonly help: string;
  /**
   * Per-command help, where the setting means something particular to one command: `ticklake <command> --help` shows
   * only its own text (never another command's), the README table shows them all.
   */
  readonly commandHelp?: Readonly<Record<string, string>>;
  /** Subcommands that accept the setting. */
  readonly commands: readonly string[];
}

/**
 * Keeps the literal names, types and choices of the declarations (a `const` type parameter), so that the names
 * code may ask `Config` for are checked by tsc (`SettingName`, `NumberSettingName`, …) while each entry is still
 * checked against `Setting`.
 */
export function declare<const T extends readonly Setting[]>(settings: T): T {
  return settings;
}
