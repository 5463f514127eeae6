import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, TicklakeError, tlError } from '../errors.js';

describe('error table', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const docRows = new Map(
    [...doc.matchAll(/^\| `(TL_[A-Z_]+)` \| (\d+) \| (yes|no) \|/gm)].map((m) => [
      m[1],
      { status: Number(m[2]), retriable: m[3] === 'yes' },
    ]),
  );

  it('docs/errors.md lists exactly the codes of core/errors.ts, with the same status and retriable flag', () => {
    expect([...docRows.keys()].sort()).toEqual(Object.keys(ERRORS).sort());
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect({ code, ...docRows.get(code) }).toEqual({ code, status: spec.status, retriable: spec.retriable });
    }
  });

  it('codes follow TL_<AREA>_<NAME>', () => {
    for (const code of Object.keys(ERRORS))
      expect(code).toMatch(/^TL_(CONFIG|BROKER|DATA|LAKE|MYSQL|SQL|REGISTRY|API|SCHEDULE|KAFKA|CDC)_[A-Z_]+$/);
  });

  it('renders the message template from details and serialises to the API error shape', () => {
    const e = tlError('TL_DATA_BAD_ROW', { file: 'trades.csv', line: 7, reason: 'price is not a number' });
    expect(e).toBeInstanceOf(TicklakeError);
    expect(e.message).toBe('trades.csv:7: price is not a number');
    expect(e.status).toBe(400);
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      error: { code: 'TL_DATA_BAD_ROW', message: 'trades.csv:7: price is not a number' },
    });
  });
});
