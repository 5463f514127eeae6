/**
 * `ticklake start --with retail`: a generated sales workbook (producers/workbook/retail-generator.ts, as of today)
 * uploaded once the pipeline runs, so that #/retail is not empty on a fresh start. Only when the lake has no
 * product yet: a later start keeps what was uploaded (and uploading the same workbook again would change nothing).
 */
import { settingDefault } from '../../core/config.js';
import type { Logger } from '../../core/log.js';
import type { LakeConnector } from '../../producers/workbook/lake-keys.js';

export async function loadRetailWorkbook(o: {
  brokers: string[];
  lake: LakeConnector;
  seed: string;
  log: Logger;
  lines?: number;
}): Promise<void> {
  const { readLakeKeys } = await import('../../producers/workbook/lake-keys.js');
  if (((await readLakeKeys(o.lake))?.products.size ?? 0) > 0) {
    o.log.info('--with retail: the lake has products already; no workbook loaded');
    return;
  }
  const { generateRetail } = await import('../../producers/workbook/retail-generator.js');
  const { writeXlsx } = await import('../../producers/workbook/xlsx-writer.js');
  const { runUpload } = await import('../../producers/workbook/upload.js');
  const asOf = new Date().toISOString().slice(0, 10);
  const data = writeXlsx(generateRetail({ seed: o.seed, lines: o.lines ?? settingDefault('generateLines'), asOf }));
  const r = await runUpload([{ name: `retail-seed-${o.seed}.xlsx`, data }], {
    limits: { maxBytes: data.length, maxUnpacked: 2 ** 30 },
    brokers: o.brokers,
    lake: o.lake,
  });
  o.log.info({ published: r.published, messages: r.messages }, '--with retail: generated workbook uploaded');
}
