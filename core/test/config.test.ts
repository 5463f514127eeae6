import { describe, expect, it } from 'vitest';
import { choicesFor, convert, parseCommandLine, parseDuration, parseSize, SETTINGS } from '../config.js';
import { isTicklakeError } from '../errors.js';

describe('settings', () => {
  it('every setting has a TICKLAKE_ env var, a long flag and help; names, env vars are unique', () => {
    for (const s of SETTINGS) {
      expect(s.env).toMatch(/^TICKLAKE_[A-Z0-9_]+$/);
      expect(s.flag).toMatch(/^--[a-z][a-z0-9-]*$/);
      expect(s.help.length).toBeGreaterThan(10);
    }
    expect(new Set(SETTINGS.map((s) => s.name)).size).toBe(SETTINGS.length);
    expect(new Set(SETTINGS.map((s) => s.env)).size).toBe(SETTINGS.length);
  });

  it('no command accepts two settings with the same flag', () => {
    const commands = new Set(SETTINGS.flatMap((s) => s.commands));
    for (const c of commands) {
      const flags = SETTINGS.filter((s) => s.commands.includes(c) || s.commands.includes('*')).map((s) => s.flag);
      expect({ c, dupes: flags.filter((f, i) => flags.indexOf(f) !== i) }).toEqual({ c, dupes: [] });
    }
  });

  it('flag beats env beats per-command default beats default', () => {
    const env = { TICKLAKE_BROKER_PORT: '7000' };
    expect(parseCommandLine('broker', ['--port', '7001'], env).num('brokerPort')).toBe(7001);
    expect(parseCommandLine('broker', ['--port=7002'], env).num('brokerPort')).toBe(7002);
    expect(parseCommandLine('broker', [], env).num('brokerPort')).toBe(7000);
    expect(parseCommandLine('broker', [], {}).num('brokerPort')).toBe(9092);
    expect(parseCommandLine('produce', [], {}).list('brokers')).toEqual(['127.0.0.1:9092']);
    expect(parseCommandLine('start', [], {}).has('brokers')).toBe(false);
  });

  it('booleans: bare flag, --no- prefix, explicit value', () => {
    expect(parseCommandLine('broker', ['--auto-create-topics'], {}).bool('autoCreateTopics')).toBe(true);
    expect(parseCommandLine('broker', ['--no-auto-create-topics'], {}).bool('autoCreateTopics')).toBe(false);
    expect(parseCommandLine('broker', ['--auto-create-topics', 'off'], {}).bool('autoCreateTopics')).toBe(false);
  });

  it('errors name the flag, the env var and the command', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (isTicklakeError(e)) return `${e.code}: ${e.message}`;
        throw e;
      }
      throw new Error('expected an error');
    };
    expect(err(() => parseCommandLine('broker', ['--prot', '1'], {}))).toBe(
      'TL_CONFIG_UNKNOWN_FLAG: Unknown option --prot for "broker"',
    );
    expect(err(() => parseCommandLine('broker', ['--port', 'abc'], {}))).toBe(
      'TL_CONFIG_BAD_VALUE: Invalid value for --port: "abc" (expected a whole number)',
    );
    expect(err(() => parseCommandLine('broker', [], { TICKLAKE_RETENTION: '5 parsecs' }))).toMatch(
      /^TL_CONFIG_BAD_VALUE: Invalid value for TICKLAKE_RETENTION: "5 parsecs" \(not a duration/,
    );
    expect(err(() => parseCommandLine('broker', ['--port'], {}))).toMatch(/--port: \(nothing\) \(expected a value\)/);
  });

  it('durations and sizes', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('1500')).toBe(1500);
    expect(parseSize('64MiB')).toBe(64 * 1024 * 1024);
    expect(parseSize('1GiB')).toBe(1073741824);
    expect(parseSize('500kb')).toBe(500_000);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });

  it('a setting with choices refuses another value, naming the flag or env var, the value and the choices', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (isTicklakeError(e)) return `${e.code}: ${e.message}`;
        throw e;
      }
      throw new Error('expected an error');
    };
    expect(err(() => parseCommandLine('sql', ['--format', 'xml'], {}))).toBe(
      'TL_CONFIG_BAD_VALUE: Invalid value for --format: "xml" (expected one of: table, csv, json)',
    );
    expect(err(() => parseCommandLine('views', [], { TICKLAKE_LOG_LEVEL: 'loud' }))).toBe(
      'TL_CONFIG_BAD_VALUE: Invalid value for TICKLAKE_LOG_LEVEL: "loud" (expected one of: fatal, error, warn, info, debug, trace, silent)',
    );
    expect(err(() => parseCommandLine('broker', ['--fsync=sometimes'], {}))).toBe(
      'TL_CONFIG_BAD_VALUE: Invalid value for --fsync: "sometimes" (expected one of: acks-all, always, never)',
    );
    // per-command choices: upload writes no csv, sql does
    expect(err(() => parseCommandLine('upload', ['--format', 'csv'], {}))).toBe(
      'TL_CONFIG_BAD_VALUE: Invalid value for --format: "csv" (expected one of: table, json)',
    );
    expect(parseCommandLine('sql', ['--format', 'csv'], {}).choice('outputFormat')).toBe('csv');
    // each item of a list: the bad item is named
    expect(err(() => parseCommandLine('start', ['--with', 'bank,banks'], {}))).toBe(
      'TL_CONFIG_BAD_VALUE: Invalid value for --with: "banks" (expected one of: bank, retail)',
    );
    expect(parseCommandLine('start', ['--with', 'retail,bank'], {}).list('with')).toEqual(['retail', 'bank']);
    // case and spaces as before (produce --format AVRO was accepted): the declared spelling is returned
    expect(parseCommandLine('produce', ['--format', ' AVRO'], {}).choice('messageFormat')).toBe('avro');
    // the asset classes of the tick contract (contracts/asset-classes.ts): refused before any row is read
    expect(err(() => parseCommandLine('replay', ['--asset-class', 'bond'], {}))).toBe(
      'TL_CONFIG_BAD_VALUE: Invalid value for --asset-class: "bond" (expected one of: equity, crypto, forex, index, commodity)',
    );
  });

  it("every declared choice list is non-empty and holds the setting's defaults; per-command choices are a subset", () => {
    const withChoices = SETTINGS.filter((s) => s.choices);
    expect(withChoices.map((s) => s.name).sort()).toEqual(
      [
        'cdcSnapshot',
        'exportFormat',
        'fsync',
        'logFormat',
        'logLevel',
        'messageFormat',
        'outputFormat',
        'replayAssetClass',
        'stage',
        'with',
      ].sort(),
    );
    for (const s of withChoices) {
      expect(s.choices?.length).toBeGreaterThan(1);
      for (const c of s.commands) {
        const def = s.commandDefaults?.[c] ?? s.default;
        if (def !== undefined) expect(() => convert(s, def, `default of ${s.flag}`, c)).not.toThrow();
        for (const x of choicesFor(s, c) ?? []) expect(s.choices).toContain(x);
      }
    }
  });

  it('--param is repeatable and never split: each occurrence is one item, commas and = kept; the env var is one per line', () => {
    const cli = parseCommandLine('report', ['--param', 'note=a,b=c', '--param=tag=x,y', '--param', 'n=1'], {});
    expect(cli.list('sqlParams')).toEqual(['note=a,b=c', 'tag=x,y', 'n=1']);
    const env = parseCommandLine('check', [], { TICKLAKE_PARAMS: 'note=a,b=c\ntag=x,y\r\n\n' });
    expect(env.list('sqlParams')).toEqual(['note=a,b=c', 'tag=x,y']);
    // other list settings still split on commas
    expect(parseCommandLine('process', ['--windows', '1m,1h'], {}).list('windows')).toEqual(['1m', '1h']);
  });
});
