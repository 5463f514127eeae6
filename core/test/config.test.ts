import { describe, expect, it } from 'vitest';
import { parseCommandLine, parseDuration, parseSize, SETTINGS } from '../config.js';
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
});
