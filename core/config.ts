/**
 * Every setting ticklake reads, declared once: name, CLI flag, `TICKLAKE_*` env var, type, default, help.
 * CLI parsing, each command's `--help`, and the README's configuration table are derived from this list
 * (`ticklake gen-docs` rewrites the README section; a test fails when it is stale).
 *
 * Precedence: command-line flag > environment variable > per-command default > default.
 *
 * The declarations live in core/config/declarations/ (one file per area; core/config/declared.ts puts them in the
 * docs' order), the machinery beside them in core/config/: setting.ts (what a declaration is), names.ts (typed
 * names), convert.ts (parsing values), lookup.ts (finding settings, defaults), parsed-config.ts (`Config`) and
 * command-line.ts (argv and env). This module is what the rest of the code imports.
 */
export { parseCommandLine } from './config/command-line.js';
export { choicesFor, convert, parseDuration, parseSize } from './config/convert.js';
export { SETTINGS } from './config/declared.js';
export { choicesOf, helpFor, settingDefault, settingsFor } from './config/lookup.js';
export type {
  BoolSettingName,
  ChoiceOf,
  ChoiceSettingName,
  DefaultedSettingName,
  ListSettingName,
  NumberSettingName,
  SettingName,
  StringSettingName,
} from './config/names.js';
export { Config } from './config/parsed-config.js';
export type { Setting, SettingType, SettingValue } from './config/setting.js';
