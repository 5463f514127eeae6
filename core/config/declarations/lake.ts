/**
 * Settings of the lake maintenance commands: export of lake tables and compaction.
 */
import { declare } from '../setting.js';

/** Export of lake tables (docs/fundamentals.md, "Export"). */
export const EXPORT_SETTINGS = declare([
  {
    name: 'exportTable',
    flag: '--table',
    env: 'TICKLAKE_EXPORT_TABLE',
    type: 'string',
    help: 'Table or view to export (any name ticklake sql can read)',
    commands: ['export'],
  },
  {
    name: 'exportFormat',
    flag: '--format',
    env: 'TICKLAKE_EXPORT_FORMAT',
    type: 'string',
    choices: ['jsonl', 'parquet'],
    default: 'jsonl',
    help: 'Export file format',
    commands: ['export'],
  },
  {
    name: 'partitionBy',
    flag: '--partition-by',
    env: 'TICKLAKE_PARTITION_BY',
    type: 'list',
    help: 'Columns of the Hive partition folders (col=value/...), in order; none for one folder',
    commands: ['export'],
  },
  {
    name: 'outDir',
    flag: '--out',
    env: 'TICKLAKE_OUT',
    type: 'string',
    help: 'Output directory of the export (must be empty or absent)',
    commands: ['export'],
  },
  {
    name: 'gzip',
    flag: '--gzip',
    env: 'TICKLAKE_GZIP',
    type: 'bool',
    default: 'false',
    help: 'export --format jsonl: gzip each file (.jsonl.gz)',
    commands: ['export'],
  },
]);

/** Lake compaction. */
export const COMPACTION_SETTINGS = declare([
  {
    name: 'table',
    flag: '--table',
    env: 'TICKLAKE_COMPACT_TABLE',
    type: 'string',
    help: 'Lake table to compact (ticks, bars, anomalies, valuations, late_ticks, rejected); all when omitted',
    commands: ['compact'],
  },
  {
    name: 'compactGrace',
    flag: '--grace',
    env: 'TICKLAKE_COMPACT_GRACE',
    type: 'duration',
    default: '1h',
    help: 'How long after a UTC date ends before compaction treats its partitions as closed',
    commands: ['compact'],
  },
  {
    name: 'compactOpenDates',
    flag: '--open-dates',
    env: 'TICKLAKE_COMPACT_OPEN_DATES',
    type: 'bool',
    default: 'false',
    help: 'Also compact open dates by size tiers: settled small files merged in groups, large files left (docs/lake.md)',
    commands: ['compact'],
  },
  {
    name: 'compactSettle',
    flag: '--settle',
    env: 'TICKLAKE_COMPACT_SETTLE',
    type: 'duration',
    default: '2m',
    help: 'How old (by mtime) a file must be before it is merged',
    commandHelp: {
      compact: 'With --open-dates: how old (by mtime) a file must be before it is merged',
      process: 'How old (by mtime) a lake file must be before the background compaction merges it',
      start: 'How old (by mtime) a lake file must be before the background compaction merges it',
    },
    commands: ['compact', 'process', 'start'],
  },
  {
    name: 'compactMaxFileSize',
    flag: '--max-file-size',
    env: 'TICKLAKE_COMPACT_MAX_FILE_SIZE',
    type: 'size',
    default: '16MiB',
    help: 'With --open-dates: files this big are left alone, and a merge reads at most this much',
    commands: ['compact'],
  },
  {
    name: 'compactMinFiles',
    flag: '--min-files',
    env: 'TICKLAKE_COMPACT_MIN_FILES',
    type: 'int',
    default: '8',
    help: 'Files of one size tier merged together (at least 2)',
    commandHelp: {
      compact: 'With --open-dates: files of one size tier merged together (at least 2)',
      process: 'Lake files of one size tier the background compaction merges together (at least 2)',
      start: 'Lake files of one size tier the background compaction merges together (at least 2)',
    },
    commands: ['compact', 'process', 'start'],
  },
]);
