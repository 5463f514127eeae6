import { describe, expect, it } from 'vitest';
import { isTicklakeError } from '../../core/errors.js';
import { parseSpeed } from '../replay-run.js';

describe('--speed', () => {
  it.each([
    ['1', 1],
    ['10', 10],
    ['0.5', 0.5],
    ['max', Number.POSITIVE_INFINITY],
    ['MAX', Number.POSITIVE_INFINITY],
  ])('%s → %d', (text, speed) => {
    expect(parseSpeed(text)).toBe(speed);
  });

  it.each(['0', '-2', 'fast', ''])('rejects %j naming --speed', (text) => {
    let err: unknown;
    try {
      parseSpeed(text);
    } catch (e) {
      err = e;
    }
    expect(isTicklakeError(err, 'TL_CONFIG_BAD_VALUE')).toBe(true);
    expect((err as Error).message).toMatch(/^Invalid value for --speed: /);
  });
});
