/**
 * Topic configs: the Kafka topic-level settings ticklake implements, their validation, and the effective
 * settings of a topic (its overrides over the broker's defaults, which come from the broker's flags).
 *
 * Behaviour:
 * - Only the names in TOPIC_CONFIGS are accepted; any other name, a null value or a value out of range is
 *   INVALID_CONFIG with a message naming the config and the value, as Kafka answers.
 * - Values are kept as the strings the client sent (persisted in topics.json), parsed into LogSettings.
 * - Each topic config has a broker synonym (`retention.ms` ← `log.retention.ms`), reported by DescribeConfigs.
 * - Kafka's meaning of -1 (unlimited) holds for retention.ms and retention.bytes. The broker flags use 0 for
 *   unlimited (`--retention 0`), which is reported and applied as -1.
 */
import type { BrokerConfig } from '../context.js';

export interface LogSettings {
  /** Roll the active segment at this size (capped at 1 GiB, see partition-log.ts). */
  segmentBytes: number;
  /** -1 = no size limit. Applies only with cleanup.policy delete. */
  retentionBytes: number;
  /** -1 = no time limit. Applies only with cleanup.policy delete. */
  retentionMs: number;
  /** cleanup.policy contains delete. */
  deleteRetention: boolean;
  /** cleanup.policy contains compact. */
  compact: boolean;
  /** How long a tombstone stays readable after the segment holding it was last written. */
  deleteRetentionMs: number;
  /** A segment is compacted only once its newest append is at least this old. */
  minCompactionLagMs: number;
  /** Compaction starts when the uncompacted share of the closed log reaches this ratio. */
  minCleanableDirtyRatio: number;
}

type Parsed = { value: string } | { error: string };

interface ConfigDef {
  name: string;
  /** The broker config it defaults to (Kafka's synonym). */
  brokerName: string;
  /** Kafka's config type, as DescribeConfigs v3 would name it. */
  type: 'list' | 'long' | 'int' | 'double';
  doc: string;
  /** The broker's default, as a string. */
  brokerDefault(c: BrokerConfig): string;
  check(v: string): Parsed;
  apply(s: LogSettings, v: string): void;
}

const INT32_MAX = 2 ** 31 - 1;

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): Parsed => {
    const t = v.trim();
    if (!/^[+-]?\d+$/.test(t)) return { error: 'not an integer' };
    const n = Number(t);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      return { error: max === Number.MAX_SAFE_INTEGER ? `must be at least ${min}` : `must be in [${min}, ${max}]` };
    }
    return { value: String(n) };
  };
}

function policy(v: string): Parsed {
  const parts = v
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) return { error: 'must be delete, compact or both (compact,delete)' };
  for (const p of parts) if (p !== 'delete' && p !== 'compact') return { error: `unknown policy "${p}"` };
  return { value: [...new Set(parts)].join(',') };
}

/** The broker flags use 0 for "unlimited"; Kafka uses -1. */
const unlimited = (n: number) => String(n > 0 ? n : -1);

export const TOPIC_CONFIGS: readonly ConfigDef[] = [
  {
    name: 'cleanup.policy',
    brokerName: 'log.cleanup.policy',
    type: 'list',
    doc: 'delete: drop old segments by retention.ms / retention.bytes; compact: keep the latest record per key',
    brokerDefault: () => 'delete',
    check: policy,
    apply(s, v) {
      const parts = v.split(',');
      s.deleteRetention = parts.includes('delete');
      s.compact = parts.includes('compact');
    },
  },
  {
    name: 'retention.ms',
    brokerName: 'log.retention.ms',
    type: 'long',
    doc: 'Age after which closed segments are deleted (-1: no limit)',
    brokerDefault: (c) => unlimited(c.retentionMs),
    check: integer(-1),
    apply(s, v) {
      s.retentionMs = Number(v);
    },
  },
  {
    name: 'retention.bytes',
    brokerName: 'log.retention.bytes',
    type: 'long',
    doc: 'Partition size above which the oldest segments are deleted (-1: no limit)',
    brokerDefault: (c) => unlimited(c.retentionBytes),
    check: integer(-1),
    apply(s, v) {
      s.retentionBytes = Number(v);
    },
  },
  {
    name: 'segment.bytes',
    brokerName: 'log.segment.bytes',
    type: 'int',
    doc: 'Size at which a partition rolls to a new segment (at most 1 GiB takes effect)',
    brokerDefault: (c) => String(c.segmentBytes),
    check: integer(14, INT32_MAX),
    apply(s, v) {
      s.segmentBytes = Number(v);
    },
  },
  {
    name: 'delete.retention.ms',
    brokerName: 'log.cleaner.delete.retention.ms',
    type: 'long',
    doc: 'How long a tombstone of a compacted topic stays readable after its segment was last written',
    brokerDefault: (c) => String(c.deleteRetentionMs),
    check: integer(0),
    apply(s, v) {
      s.deleteRetentionMs = Number(v);
    },
  },
  {
    name: 'min.compaction.lag.ms',
    brokerName: 'log.cleaner.min.compaction.lag.ms',
    type: 'long',
    doc: 'Minimum age of the newest append of a segment before compaction may touch it',
    brokerDefault: () => '0',
    check: integer(0),
    apply(s, v) {
      s.minCompactionLagMs = Number(v);
    },
  },
  {
    name: 'min.cleanable.dirty.ratio',
    brokerName: 'log.cleaner.min.cleanable.ratio',
    type: 'double',
    doc: 'Share of not yet compacted bytes in the closed segments that starts a compaction',
    brokerDefault: () => '0.5',
    check(v) {
      const t = v.trim();
      const n = Number(t);
      if (t === '' || !Number.isFinite(n)) return { error: 'not a number' };
      if (n < 0 || n > 1) return { error: 'must be in [0, 1]' };
      return { value: String(n) };
    },
    apply(s, v) {
      s.minCleanableDirtyRatio = Number(v);
    },
  },
];

const BY_NAME = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));

export function topicConfigDef(name: string): ConfigDef | undefined {
  return BY_NAME.get(name);
}

/**
 * Checks one config entry; returns the normalised value or the INVALID_CONFIG message.
 * Kafka's wording: "Invalid value x for configuration retention.ms: ...".
 */
export function checkTopicConfig(name: string, value: string | null): Parsed {
  const def = BY_NAME.get(name);
  if (!def) return { error: `Unknown topic config name: ${name} (supported: ${[...BY_NAME.keys()].join(', ')})` };
  if (value === null) return { error: `Null value not supported for topic config ${name}` };
  const r = def.check(value);
  return 'error' in r ? { error: `Invalid value ${value} for configuration ${name}: ${r.error}` } : r;
}

/** Checks a set of entries (CreateTopics, AlterConfigs): the overrides, or the first problem. */
export function checkTopicConfigs(
  entries: ReadonlyArray<readonly [string, string | null]>,
): { overrides: Record<string, string> } | { error: string } {
  const overrides: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (name in overrides) return { error: `Config ${name} given more than once` };
    const r = checkTopicConfig(name, value);
    if ('error' in r) return r;
    overrides[name] = r.value;
  }
  return { overrides };
}

/** The value a topic config has: its override, else the broker's default. */
export function configValue(c: BrokerConfig, overrides: Readonly<Record<string, string>>, name: string): string {
  return overrides[name] ?? BY_NAME.get(name)!.brokerDefault(c);
}

/** The effective settings of a topic with these overrides (invalid stored values fall back to the default). */
export function logSettings(c: BrokerConfig, overrides: Readonly<Record<string, string>>): LogSettings {
  const s: LogSettings = {
    segmentBytes: 0,
    retentionBytes: -1,
    retentionMs: -1,
    deleteRetention: true,
    compact: false,
    deleteRetentionMs: 0,
    minCompactionLagMs: 0,
    minCleanableDirtyRatio: 0.5,
  };
  for (const def of TOPIC_CONFIGS) {
    const given = overrides[def.name];
    const checked = given === undefined ? undefined : def.check(given);
    def.apply(s, checked && 'value' in checked ? checked.value : def.brokerDefault(c));
  }
  return s;
}
