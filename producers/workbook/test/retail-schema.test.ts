/**
 * docs/retail.md documents every sheet of producers/workbook/retail-schema.ts: its topic, its sheet names, and per
 * field its kind, whether it is required and every header alias — so the documentation cannot fall behind the
 * reader.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHEETS } from '../retail-schema.js';

const DOC = readFileSync(join(import.meta.dirname, '../../../docs/retail.md'), 'utf8');

describe('docs/retail.md and the workbook schema', () => {
  for (const s of SHEETS) {
    it(`lists sheet ${s.sheet}: its topic, names, and every field with its aliases`, () => {
      expect(DOC).toContain(`### ${s.sheet} → \`${s.topic}\` (sql/sources/${s.source}.sql, key ${s.key.join(', ')})`);
      expect(DOC).toContain(`Sheet names: ${[s.sheet, ...s.aliases].map((a) => `\`${a}\``).join(', ')}.`);
      for (const f of s.fields) {
        const row = `| \`${f.field}\` | ${f.kind} | ${f.required ? 'yes' : 'no'} | ${f.aliases.map((a) => `\`${a}\``).join(', ')} |`;
        expect(DOC, `${s.sheet}.${f.field}`).toContain(row);
      }
    });
  }
});
