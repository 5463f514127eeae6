import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LAKE_TABLES } from '../tables.js';

describe('lake table contract', () => {
  it('docs/lake.md lists the same tables and columns as lake/tables.ts', () => {
    const doc = readFileSync(new URL('../../docs/lake.md', import.meta.url), 'utf8');
    for (const t of LAKE_TABLES) {
      const row = new RegExp(`^\\| \`${t.name}\` \\| (.*?) \\| \`\\((.*?)\\)\` \\|$`, 'm').exec(doc);
      expect(row, `docs/lake.md has a row for ${t.name}`).not.toBeNull();
      expect(row![2]).toBe(t.key.join(', '));
      for (const c of t.columns) {
        // late_ticks says "the `ticks` columns +" rather than repeating them.
        if (t.name === 'late_ticks' && !['window', 'watermark'].includes(c.name)) continue;
        expect(row![1]).toContain(`${c.name} ${c.type}`);
      }
    }
  });
});
