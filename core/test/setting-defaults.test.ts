/**
 * Defaults stated once (issue 22): the library functions the commands call fall back to the declared defaults of
 * core/config.ts (settingDefault), never to literals of their own. Expected values come from parsing an empty
 * command line, as `ticklake <command>` would, and are compared with what the libraries use when an option is
 * left out: a running broker's configuration, the processor's bounds and thresholds, the compaction tiers, the
 * MySQL timeout. The defaults written by hand at the end pin the values themselves (a changed default is a change
 * in behaviour, to be made on purpose).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../broker/index.js';
import { DEFAULT_TIERS } from '../../lake/compact-plan.js';
import { DEFAULT_MYSQL_TIMEOUT_MS } from '../../processors/sinks/mysql-sink.js';
import { DEFAULT_THRESHOLDS } from '../../processors/ticks/core.js';
import { DEFAULT_BOUNDS } from '../../processors/ticks/tick-guard.js';
import { type Config, parseCommandLine, SETTINGS, type SettingName, settingDefault } from '../config.js';

/** A setting read the way its kind is read. */
function read(config: Config, name: SettingName, type: string): unknown {
  const c = config as unknown as Record<string, (n: string) => unknown>;
  const accessor = { int: 'num', number: 'num', duration: 'num', size: 'num', bool: 'bool', list: 'list' }[type];
  return c[accessor ?? 'optStr'].call(config, name);
}

describe('defaults stated once', () => {
  it('settingDefault(name, command) is what parsing an empty command line gives, for every setting and command', () => {
    let compared = 0;
    for (const s of SETTINGS) {
      for (const command of s.commands.filter((c) => c !== '*')) {
        const def = s.commandDefaults?.[command] ?? s.default;
        if (def === undefined) continue;
        const parsed = read(parseCommandLine(command, [], {}), s.name as SettingName, s.type);
        expect({ setting: s.name, command, value: settingDefault(s.name as never, command) }).toEqual({
          setting: s.name,
          command,
          value: parsed,
        });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('a broker started without options runs with the defaults of `ticklake broker`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-defaults-'));
    const broker = await startBroker({ dataDir: dir, port: 0 });
    try {
      const cli = parseCommandLine('broker', [], {});
      const c = broker.context.config;
      expect({
        host: c.host,
        defaultPartitions: c.defaultPartitions,
        autoCreateTopics: c.autoCreateTopics,
        fsync: c.fsync,
        segmentBytes: c.segmentBytes,
        retentionBytes: c.retentionBytes,
        retentionMs: c.retentionMs,
        deleteRetentionMs: c.deleteRetentionMs,
        cleanerIntervalMs: c.cleanerIntervalMs,
        cleanerBufferBytes: c.cleanerBufferBytes,
        tailCacheBytes: c.tailCacheBytes,
        maxFrameBytes: c.maxFrameBytes,
        maxInflightBytes: c.maxInflightBytes,
        connectionsMaxIdleMs: c.connectionsMaxIdleMs,
        groupInitialRebalanceDelayMs: c.groupInitialRebalanceDelayMs,
      }).toEqual({
        host: cli.str('brokerHost'),
        defaultPartitions: cli.num('defaultPartitions'),
        autoCreateTopics: cli.bool('autoCreateTopics'),
        fsync: cli.choice('fsync'),
        segmentBytes: cli.num('segmentBytes'),
        retentionBytes: cli.num('retentionBytes'),
        retentionMs: cli.num('retentionMs'),
        deleteRetentionMs: cli.num('deleteRetentionMs'),
        cleanerIntervalMs: cli.num('cleanerIntervalMs'),
        cleanerBufferBytes: cli.num('cleanerBufferBytes'),
        tailCacheBytes: cli.num('tailCacheBytes'),
        maxFrameBytes: cli.num('maxFrameBytes'),
        maxInflightBytes: cli.num('maxInflightBytes'),
        connectionsMaxIdleMs: cli.num('connectionsMaxIdleMs'),
        groupInitialRebalanceDelayMs: cli.num('groupInitialRebalanceDelayMs'),
      });
    } finally {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it("the processor's bounds, thresholds and MySQL timeout and the compaction tiers are those of `ticklake process`", () => {
    const p = parseCommandLine('process', [], {});
    expect(DEFAULT_BOUNDS).toEqual({
      minPrice: p.num('minPrice'),
      maxPrice: p.num('maxPrice'),
      maxSize: p.num('maxSize'),
      maxAheadMs: p.num('maxAhead'),
    });
    expect(DEFAULT_THRESHOLDS).toEqual({
      spike: p.num('spikeThreshold'),
      critical: p.num('criticalThreshold'),
      volumeSpikeFactor: p.num('volumeSpikeFactor'),
    });
    expect(DEFAULT_MYSQL_TIMEOUT_MS).toBe(p.num('mysqlTimeout'));
    const compact = parseCommandLine('compact', [], {});
    expect(DEFAULT_TIERS).toMatchObject({
      settleMs: compact.num('compactSettle'),
      maxFileBytes: compact.num('compactMaxFileSize'),
      minFiles: compact.num('compactMinFiles'),
    });
  });

  it('the values are those the libraries had as literals before (no behaviour changed)', () => {
    expect(DEFAULT_BOUNDS).toEqual({ minPrice: 1e-12, maxPrice: 1e12, maxSize: 1e12, maxAheadMs: 86_400_000 });
    expect(DEFAULT_THRESHOLDS).toEqual({ spike: 0.03, critical: 0.08, volumeSpikeFactor: 5 });
    expect(DEFAULT_TIERS).toMatchObject({ settleMs: 120_000, maxFileBytes: 16 * 1024 * 1024, minFiles: 8 });
    expect(DEFAULT_MYSQL_TIMEOUT_MS).toBe(10_000);
    const broker = {
      port: 9092,
      defaultPartitions: 3,
      segmentBytes: 64 * 1024 * 1024,
      retentionBytes: 1024 ** 3,
      retentionMs: 7 * 86_400_000,
      deleteRetentionMs: 86_400_000,
      cleanerIntervalMs: 15_000,
      cleanerBufferBytes: 32 * 1024 * 1024,
      maxFrameBytes: 100 * 1024 * 1024,
      maxInflightBytes: 256 * 1024 * 1024,
      connectionsMaxIdleMs: 600_000,
      groupInitialRebalanceDelayMs: 1000,
    };
    expect({
      port: settingDefault('brokerPort'),
      defaultPartitions: settingDefault('defaultPartitions'),
      segmentBytes: settingDefault('segmentBytes'),
      retentionBytes: settingDefault('retentionBytes', 'broker'),
      retentionMs: settingDefault('retentionMs', 'broker'),
      deleteRetentionMs: settingDefault('deleteRetentionMs'),
      cleanerIntervalMs: settingDefault('cleanerIntervalMs'),
      cleanerBufferBytes: settingDefault('cleanerBufferBytes'),
      maxFrameBytes: settingDefault('maxFrameBytes'),
      maxInflightBytes: settingDefault('maxInflightBytes'),
      connectionsMaxIdleMs: settingDefault('connectionsMaxIdleMs'),
      groupInitialRebalanceDelayMs: settingDefault('groupInitialRebalanceDelayMs'),
    }).toEqual(broker);
    // the processors' and the API's fallbacks
    expect([
      settingDefault('topic'),
      settingDefault('windows'),
      settingDefault('maxBatch'),
      settingDefault('group'),
      settingDefault('lateness'),
      settingDefault('batchInterval'),
      settingDefault('idleTimeout'),
      settingDefault('sessionTimeout'),
      settingDefault('compactEvery'),
      settingDefault('compactGrace'),
      settingDefault('batchSize'),
      settingDefault('sendRetries'),
      settingDefault('runLease'),
      settingDefault('catchUp'),
      settingDefault('generateLines'),
    ]).toEqual([
      'ticks',
      ['1m', '1d'],
      50_000,
      'ticklake-processor',
      5000,
      0,
      30_000,
      30_000,
      30_000,
      3_600_000,
      1000,
      5,
      60_000,
      24,
      2000,
    ]);
    expect([
      settingDefault('queryTimeout'),
      settingDefault('maxRows'),
      settingDefault('maxQueries'),
      settingDefault('maxQueued'),
      settingDefault('memoryLimit', 'serve'),
      settingDefault('queryMemoryLimit', 'serve'),
      settingDefault('tempLimit', 'serve'),
      settingDefault('queryTempLimit', 'serve'),
    ]).toEqual([30_000, 100_000, 4, 32, 1e9, 512e6, 4e9, 1e9]);
  });
});
