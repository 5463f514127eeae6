/**
 * The standardisation map, `sql/seeds/fundamental_concepts.csv` (concept, priority, source, sign, kind, label),
 * read and checked, as keyed messages of the source `filing_concepts`. `ticklake filings load` publishes it before
 * the filings, so the lake holds the map the numbers are read with (docs/fundamentals.md).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tlError } from '../../core/errors.js';
import type { KeyedRecord } from './fsds-records.js';

export const CONCEPTS_CSV = fileURLToPath(new URL('../../sql/seeds/fundamental_concepts.csv', import.meta.url));
export const CONCEPTS_TOPIC = 'filings.concepts';

export interface ConceptRow {
  concept: string;
  priority: number;
  source: string;
  sign: number;
  kind: 'duration' | 'instant' | 'shares';
  label: string;
}

export async function readConceptMap(path = CONCEPTS_CSV): Promise<ConceptRow[]> {
  const lines = (await readFile(path, 'utf8')).split('\n');
  const header = lines[0].trim();
  const want = 'concept,priority,source,sign,kind,label';
  if (header !== want) throw tlError('TL_DATA_BAD_ROW', { file: path, line: 1, reason: `the header must be ${want}` });
  const rows: ConceptRow[] = [];
  const kindOf = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const bad = (reason: string) => tlError('TL_DATA_BAD_ROW', { file: path, line: i + 1, reason });
    const [concept, priority, source, sign, kind, ...label] = line.split(',');
    if (!/^[a-z][a-z0-9_]*$/.test(concept ?? '')) throw bad(`concept ${JSON.stringify(concept)} is not snake_case`);
    if (!/^\d+$/.test(priority ?? '')) throw bad(`priority ${JSON.stringify(priority)} is not a whole number`);
    if (!source) throw bad('source is empty');
    if (sign !== '1' && sign !== '-1') throw bad(`sign ${JSON.stringify(sign)} is not 1 or -1`);
    if (kind !== 'duration' && kind !== 'instant' && kind !== 'shares') {
      throw bad(`kind ${JSON.stringify(kind)} is not duration, instant or shares`);
    }
    if ((kindOf.get(concept) ?? kind) !== kind) throw bad(`concept ${concept} has two kinds`);
    kindOf.set(concept, kind);
    rows.push({ concept, priority: Number(priority), source, sign: Number(sign), kind, label: label.join(',') });
  }
  for (const r of rows) {
    const term = r.source.startsWith('=') ? r.source.slice(1) : undefined;
    if (term !== undefined && !kindOf.has(term)) {
      throw tlError('TL_DATA_BAD_ROW', {
        file: path,
        line: rows.indexOf(r) + 2,
        reason: `derivation term ${term} is not a concept of the map`,
      });
    }
  }
  return rows;
}

export function conceptRecords(rows: readonly ConceptRow[]): KeyedRecord[] {
  return rows.map((r, i) => ({
    key: JSON.stringify({ concept: r.concept, priority: r.priority, source: r.source }),
    value: JSON.stringify(r),
    line: i + 2,
  }));
}
