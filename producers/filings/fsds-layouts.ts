/**
 * The FSDS files as ticklake reads them: for each file, the source it feeds (sql/sources/filing_*.sql), its
 * topic, the fields taken by header name with their types, and the key. Columns of the file not listed here are
 * ignored (newer quarters add some); listed columns missing from an older layout are null, or '' for key columns
 * (num.txt has `segments` only from 2020 on, and `footnote` before).
 */
import type { FieldSpec } from './fsds-fields.js';

export interface FileLayout {
  file: 'sub.txt' | 'num.txt' | 'tag.txt' | 'pre.txt' | 'splits.tsv';
  source: string;
  topic: string;
  fields: FieldSpec[];
  /** Header columns the file must have. */
  required: string[];
  key: string[];
}

const f = (name: string, type: FieldSpec['type'] = 'text', opts: Partial<FieldSpec> = {}): FieldSpec => ({
  name,
  type,
  ...opts,
});

export const SUBMISSIONS: FileLayout = {
  file: 'sub.txt',
  source: 'filing_submissions',
  topic: 'filings.submissions',
  required: ['adsh', 'cik', 'name', 'form', 'period', 'filed', 'accepted'],
  key: ['adsh'],
  fields: [
    f('adsh', 'text', { required: true }),
    f('cik', 'int', { required: true }),
    f('name', 'text', { required: true }),
    f('sic', 'int'),
    f('countryba'),
    f('stprba'),
    f('cityba'),
    f('countryinc'),
    f('ein'),
    f('former'),
    f('changed', 'date'),
    f('afs'),
    f('wksi', 'flag'),
    f('fye'),
    f('form', 'text', { required: true }),
    f('period', 'date', { required: true }),
    f('fy', 'int'),
    f('fp'),
    f('filed', 'date', { required: true }),
    f('accepted', 'timestamp', { required: true }),
    f('prevrpt', 'flag'),
    f('detail', 'flag'),
    f('instance'),
    f('nciks', 'int'),
    f('aciks'),
  ],
};

export const NUMBERS: FileLayout = {
  file: 'num.txt',
  source: 'filing_numbers',
  topic: 'filings.numbers',
  required: ['adsh', 'tag', 'version', 'ddate', 'qtrs', 'uom', 'value'],
  key: ['adsh', 'tag', 'version', 'coreg', 'segments', 'ddate', 'qtrs', 'uom'],
  fields: [
    f('adsh', 'text', { required: true }),
    f('tag', 'text', { required: true }),
    f('version', 'text', { required: true }),
    f('coreg', 'text', { keyText: true }),
    f('segments', 'text', { keyText: true }),
    f('ddate', 'date', { required: true }),
    f('qtrs', 'int', { required: true }),
    f('uom', 'text', { required: true }),
    f('value', 'decimal'),
    f('footnote'),
  ],
};

export const TAGS: FileLayout = {
  file: 'tag.txt',
  source: 'filing_tags',
  topic: 'filings.tags',
  required: ['tag', 'version'],
  key: ['tag', 'version'],
  fields: [
    f('tag', 'text', { required: true }),
    f('version', 'text', { required: true }),
    f('custom', 'flag'),
    f('abstract', 'flag'),
    f('datatype'),
    f('iord'),
    f('crdr'),
    f('tlabel'),
    f('doc'),
  ],
};

export const PRESENTATION: FileLayout = {
  file: 'pre.txt',
  source: 'filing_presentation',
  topic: 'filings.presentation',
  required: ['adsh', 'report', 'line', 'tag', 'version'],
  key: ['adsh', 'report', 'line'],
  fields: [
    f('adsh', 'text', { required: true }),
    f('report', 'int', { required: true }),
    f('line', 'int', { required: true }),
    f('stmt'),
    f('inpth', 'flag'),
    f('rfile'),
    f('tag', 'text', { required: true }),
    f('version', 'text', { required: true }),
    f('plabel'),
    f('negating', 'flag'),
  ],
};

/** ticklake's own addition to a quarter folder (the generator writes it): stock splits. */
export const SPLITS: FileLayout = {
  file: 'splits.tsv',
  source: 'stock_splits',
  topic: 'reference.stock_splits',
  required: ['symbol', 'ex_date', 'ratio'],
  key: ['symbol', 'ex_date'],
  fields: [
    f('symbol', 'text', { required: true }),
    f('ex_date', 'date', { required: true }),
    f('ratio', 'double', { required: true }),
  ],
};

export const LAYOUTS: readonly FileLayout[] = [SUBMISSIONS, TAGS, NUMBERS, PRESENTATION, SPLITS];
