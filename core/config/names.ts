/**
 * The typed names of the declared settings, derived from the declarations' literal types: `Config`'s accessors
 * and `settingDefault` take only these, so tsc refuses a misspelt name (core/test/setting-names.test.ts).
 */
import type { DECLARED } from './declared.js';
import type { SettingType } from './setting.js';

type Declared = (typeof DECLARED)[number];
type NameOfType<T extends SettingType> = Extract<Declared, { readonly type: T }>['name'];
/** The name of a declared setting: `Config`'s accessors take nothing else, so tsc refuses a misspelt one. */
export type SettingName = Declared['name'];
/** Settings read as numbers (`int`, `number`, and durations and sizes, converted to ms and bytes). */
export type NumberSettingName = NameOfType<'int' | 'number' | 'duration' | 'size'>;
export type StringSettingName = NameOfType<'string'>;
export type BoolSettingName = NameOfType<'bool'>;
export type ListSettingName = NameOfType<'list'>;
/** String settings with declared choices. */
export type ChoiceSettingName = Extract<
  Declared,
  { readonly type: 'string'; readonly choices: readonly string[] }
>['name'];
/** The choices of a setting, as a union of literals. */
export type ChoiceOf<N extends ChoiceSettingName> =
  Extract<Declared, { readonly name: N }> extends {
    readonly choices: readonly (infer C)[];
  }
    ? C
    : never;

/** The value type a setting of each kind is read as. */
export type ValueOfType<T extends SettingType> = T extends 'int' | 'number' | 'duration' | 'size'
  ? number
  : T extends 'bool'
    ? boolean
    : T extends 'list'
      ? string[]
      : string;
/** A setting's value type: the union of its choices, else the type of its kind. */
export type DefaultOf<N extends SettingName> = N extends ChoiceSettingName
  ? ChoiceOf<N>
  : ValueOfType<Extract<Declared, { readonly name: N }>['type']>;
/** Declared settings that have a default. */
export type DefaultedSettingName = Extract<Declared, { readonly default: string }>['name'];
