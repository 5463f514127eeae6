/** `Config`: the parsed settings of one command invocation, read through accessors that take only typed names. */
import { tlError } from '../errors.js';
import { flagOf } from './lookup.js';
import type {
  BoolSettingName,
  ChoiceOf,
  ChoiceSettingName,
  ListSettingName,
  NumberSettingName,
  SettingName,
  StringSettingName,
} from './names.js';
import type { SettingValue } from './setting.js';

/** Parsed settings of one command invocation. */
export class Config {
  constructor(
    readonly command: string,
    private readonly values: Map<string, SettingValue>,
    readonly positional: string[],
    /** Settings given by flag or environment variable (not defaults). */
    private readonly given: ReadonlySet<string> = new Set(),
  ) {}

  /** True when the setting was given by a flag or its environment variable, not left at its default. */
  isGiven(name: SettingName): boolean {
    return this.given.has(name);
  }

  private get(name: SettingName): SettingValue {
    if (!this.values.has(name)) throw new Error(`setting ${name} is not declared for command ${this.command}`);
    return this.values.get(name);
  }
  has(name: SettingName): boolean {
    return this.values.get(name) !== undefined;
  }
  str(name: StringSettingName): string {
    const v = this.get(name);
    if (v === undefined) throw tlError('TL_CONFIG_MISSING', { setting: flagOf(name) });
    return String(v);
  }
  optStr(name: StringSettingName): string | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : String(v);
  }
  num(name: NumberSettingName): number {
    const v = this.get(name);
    if (v === undefined) throw tlError('TL_CONFIG_MISSING', { setting: flagOf(name) });
    return v as number;
  }
  optNum(name: NumberSettingName): number | undefined {
    return this.get(name) as number | undefined;
  }
  bool(name: BoolSettingName): boolean {
    return this.get(name) === true;
  }
  list(name: ListSettingName): string[] {
    return (this.get(name) as string[] | undefined) ?? [];
  }
  /** A setting with declared choices, typed as their union (parsing has refused any other value). */
  choice<N extends ChoiceSettingName>(name: N): ChoiceOf<N> {
    return this.str(name) as ChoiceOf<N>;
  }
  /** Plain object of every setting, for logging and for passing to in-process components. */
  toObject(): Record<string, SettingValue> {
    return Object.fromEntries(this.values);
  }
}
