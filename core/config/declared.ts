/**
 * Every declared setting, in one list. Its order is the order of the README's configuration table and of each
 * command's `--help`: keep it (a new setting goes into its area's file under core/config/declarations/).
 */
import { ANALYTICS_SETTINGS } from './declarations/analytics.js';
import { BROKER_SETTINGS } from './declarations/broker.js';
import { CDC_SETTINGS } from './declarations/cdc.js';
import { GENERAL_SETTINGS } from './declarations/general.js';
import { ENCODING_SETTINGS, KAFKA_CLIENT_SETTINGS } from './declarations/kafka-clients.js';
import { COMPACTION_SETTINGS, EXPORT_SETTINGS } from './declarations/lake.js';
import { PROCESSOR_SETTINGS, PROCESSOR_STORE_SETTINGS } from './declarations/processor.js';
import { PRODUCER_SETTINGS } from './declarations/producers.js';
import { RETAIL_SETTINGS } from './declarations/retail.js';
import { SCHEDULER_SETTINGS } from './declarations/scheduler.js';
import { declare, type Setting } from './setting.js';

/** The declarations with their literal types, from which core/config/names.ts derives the typed setting names. */
export const DECLARED = declare([
  ...GENERAL_SETTINGS,
  ...BROKER_SETTINGS,
  ...KAFKA_CLIENT_SETTINGS,
  ...ENCODING_SETTINGS,
  ...PRODUCER_SETTINGS,
  ...ANALYTICS_SETTINGS,
  ...EXPORT_SETTINGS,
  ...COMPACTION_SETTINGS,
  ...PROCESSOR_STORE_SETTINGS,
  ...CDC_SETTINGS,
  ...PROCESSOR_SETTINGS,
  ...RETAIL_SETTINGS,
  ...SCHEDULER_SETTINGS,
]);

/** Every declared setting. */
export const SETTINGS: readonly Setting[] = DECLARED;
