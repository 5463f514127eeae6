/**
 * `ticklake check --param`: a name that no selected check declares is refused with exit 2 and a message naming it
 * and the names that are declared (as the API refuses it), instead of being dropped while the checks run with their
 * defaults. A declared name is applied: `max_age` changes what freshness reports.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', 'bin.js');

describe('ticklake check --param', () => {
  let lake: string;
  beforeAll(async () => {
    lake = await mkdtemp(join(tmpdir(), 'ticklake-check-'));
  });
  afterAll(async () => {
    await rm(lake, { recursive: true, force: true });
  });
  const check = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, 'check', ...args, '--lake-dir', lake, '--format', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
    });

  it('refuses a misspelt parameter, naming it and the declared ones', () => {
    const r = check('freshness', '--param', 'max_agee=1h');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      'Invalid value for --param: max_agee (no selected check declares it; declared: interval_end, max_age, now) [TL_CONFIG_BAD_VALUE]',
    );
    expect(r.stdout).toBe('');
  });

  it("refuses a parameter that only a check not selected declares (freshness's max_age for ohlc-consistency)", () => {
    const r = check('ohlc-consistency', '--param', 'max_age=1h');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--param: max_age (no selected check declares it');
  });

  it('applies a declared parameter: the empty lake fails freshness, reporting the max_age given', () => {
    const r = check('freshness', '--param', 'max_age=3h');
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { name: string; passed: boolean; rows: Record<string, unknown>[] }[];
    expect(out.map((x) => [x.name, x.passed])).toEqual([['freshness', false]]);
    expect(out[0].rows).toEqual([{ newest_ts: null, age: null, max_age: '03:00:00' }]);
  });
});
