/**
 * An upload report (upload.ts) as the lines `ticklake upload` prints: what was read, every error and warning with
 * its `Sheet!Cell`, what was (or would be) published, and the outcome.
 */
import type { UploadReport } from './upload.js';

const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

export function reportText(r: UploadReport): string {
  const out: string[] = [];
  for (const s of r.sheets) {
    const header = s.headerRow === null ? 'no header found' : `header on row ${s.headerRow}`;
    out.push(`${s.label} (${s.file}): ${n(s.rows, 'row')}, ${header}${s.bad > 0 ? `, ${n(s.bad, 'bad row')}` : ''}`);
  }
  for (const x of r.notices) out.push(`note: ${x}`);
  if (r.errors.length > 0) out.push('', `${n(r.errors.length, 'error')}:`, ...r.errors.map((e) => `  ${e.message}`));
  if (r.warnings.length > 0) {
    out.push(
      '',
      `${n(r.warnings.length, 'warning')} (published all the same):`,
      ...r.warnings.map((e) => `  ${e.message}`),
    );
  }
  const p = r.published;
  const what = `${n(p.products, 'product row')}, ${n(p.clients, 'client')}, ${n(p.invoiceLines, 'invoice line')}`;
  const del = r.deleted.products.length + r.deleted.clients.length;
  const deletes = r.fullReplace
    ? `; full replace: deletes ${n(r.deleted.products.length, 'product')} and ${n(r.deleted.clients.length, 'client')}${del > 0 ? ` (${[...r.deleted.products, ...r.deleted.clients].join(', ')})` : ''}`
    : '';
  out.push('');
  if (r.status === 'dry-run') out.push(`dry run: nothing published; would publish ${what}${deletes}`);
  else if (r.status === 'refused')
    out.push(`nothing published: ${n(r.errors.length, 'error')} in ${n(r.badRows, 'row')}`);
  else {
    const skipped = r.skippedRows > 0 ? `; skipped ${n(r.skippedRows, 'bad row')}` : '';
    out.push(`published ${what}${deletes}${skipped} (${n(r.messages, 'message')}, as of ${r.asOf})`);
  }
  return out.join('\n');
}
