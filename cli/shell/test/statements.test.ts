import { describe, expect, it } from 'vitest';
import { StatementBuffer } from '../statements.js';

describe('shell statement splitting', () => {
  it('a statement ends at ";" outside quotes and comments and may span lines', () => {
    const b = new StatementBuffer();
    expect(b.push('select 1,')).toEqual([]);
    expect(b.pending).toBe(true);
    expect(b.push('  2;')).toEqual(['select 1,\n  2;']);
    expect(b.pending).toBe(false);
    expect(b.push('select \'a;b\' as s, "c;d" as t; select 2;')).toEqual([
      'select \'a;b\' as s, "c;d" as t;',
      'select 2;',
    ]);
  });

  it('semicolons inside -- and /* */ comments do not end a statement', () => {
    const b = new StatementBuffer();
    expect(b.push('select 1 -- not the end;')).toEqual([]);
    expect(b.push('/* still; not */ + 1;')).toEqual(['select 1 -- not the end;\n/* still; not */ + 1;']);
    expect(b.push('/* a block')).toEqual([]);
    expect(b.push('; over lines */ select 3;')).toEqual(['/* a block\n; over lines */ select 3;']);
  });

  it('a quote left open continues on the next line; flush returns an unterminated rest', () => {
    const b = new StatementBuffer();
    expect(b.push("select 'multi")).toEqual([]);
    expect(b.push("line;' as x;")).toEqual(["select 'multi\nline;' as x;"]);
    expect(b.push('select 9')).toEqual([]);
    expect(b.flush()).toBe('select 9');
    expect(b.flush()).toBeUndefined();
  });
});
