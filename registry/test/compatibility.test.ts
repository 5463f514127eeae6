/**
 * Compatibility levels over Avro's resolution rules (compatibility.ts). Every expected outcome below is worked out
 * by hand from the Avro specification ("Schema Resolution") and Confluent's definitions of the levels (BACKWARD:
 * the new schema reads the old data; FORWARD: the old schema reads the new data; FULL: both; *_TRANSITIVE: against
 * every version), not taken from the code's output.
 */
import { describe, expect, it } from 'vitest';
import { parseAvroSchema } from '../avro-schema.js';
import { compatibilityProblems, LEVELS, type Level, parseLevel } from '../compatibility.js';

const rec = (fields: object[], name = 'T') => JSON.stringify({ type: 'record', name, fields });
const type = (text: string) => parseAvroSchema(text).type;
const ok = (candidate: string, prior: string[], level: Level) =>
  compatibilityProblems(
    type(candidate),
    prior.map((p, i) => ({ version: i + 1, type: type(p) })),
    level,
  ).length === 0;

const A = { name: 'a', type: 'int' };
const B_DEFAULT = { name: 'b', type: 'string', default: 'x' };
const B = { name: 'b', type: 'string' };

describe('compatibility levels', () => {
  it('adding a field with a default: BACKWARD, FORWARD and FULL all accept', () => {
    for (const level of ['BACKWARD', 'FORWARD', 'FULL'] as const)
      expect(ok(rec([A, B_DEFAULT]), [rec([A])], level)).toBe(true);
  });

  it('adding a required field: the new schema cannot read old data, so BACKWARD and FULL refuse, FORWARD accepts', () => {
    expect(ok(rec([A, B]), [rec([A])], 'BACKWARD')).toBe(false);
    expect(ok(rec([A, B]), [rec([A])], 'FULL')).toBe(false);
    expect(ok(rec([A, B]), [rec([A])], 'FORWARD')).toBe(true);
  });

  it('removing a required field: new readers skip it (BACKWARD accepts), old readers miss it (FORWARD, FULL refuse)', () => {
    expect(ok(rec([A]), [rec([A, B])], 'BACKWARD')).toBe(true);
    expect(ok(rec([A]), [rec([A, B])], 'FORWARD')).toBe(false);
    expect(ok(rec([A]), [rec([A, B])], 'FULL')).toBe(false);
  });

  it('removing a field that has a default: old readers use the default, so FULL accepts', () => {
    expect(ok(rec([A]), [rec([A, B_DEFAULT])], 'FULL')).toBe(true);
  });

  it('widening int to long is a promotion one way only', () => {
    const wide = rec([{ name: 'a', type: 'long' }]);
    expect(ok(wide, [rec([A])], 'BACKWARD')).toBe(true);
    expect(ok(wide, [rec([A])], 'FORWARD')).toBe(false);
  });

  it('transitive levels check every version, the others only the latest', () => {
    // v3 reads v2's data (b is there) but not v1's (no b, and no default)
    const v1 = rec([A]);
    const v2 = rec([A, B_DEFAULT]);
    const v3 = rec([A, B]);
    expect(ok(v3, [v1, v2], 'BACKWARD')).toBe(true);
    expect(ok(v3, [v1, v2], 'BACKWARD_TRANSITIVE')).toBe(false);
  });

  it('an enum symbol the reader lacks, without a reader default, is refused', () => {
    const e = (symbols: string[]) => rec([{ name: 'c', type: { type: 'enum', name: 'C', symbols } }]);
    expect(ok(e(['X', 'Y', 'Z']), [e(['X', 'Y'])], 'BACKWARD')).toBe(true);
    expect(ok(e(['X', 'Y']), [e(['X', 'Y', 'Z'])], 'BACKWARD')).toBe(false);
  });

  it('record names are compared without their namespaces, as the specification says; other names must match', () => {
    expect(ok(rec([A], 'one.T'), [rec([A], 'two.T')], 'FULL')).toBe(true);
    expect(ok(rec([A], 'U'), [rec([A], 'T')], 'BACKWARD')).toBe(false);
  });

  it('NONE accepts anything, and a first version has nothing to break', () => {
    expect(ok('"string"', [rec([A])], 'NONE')).toBe(true);
    expect(ok(rec([A, B]), [], 'FULL_TRANSITIVE')).toBe(true);
  });

  it('says which version and which rule', () => {
    const problems = compatibilityProblems(type(rec([A, B])), [{ version: 4, type: type(rec([A])) }], 'BACKWARD');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/version 4 \(BACKWARD\): .*T\.b/);
  });

  it('reads a level in any case and refuses unknown ones', () => {
    expect(parseLevel('full_transitive')).toBe('FULL_TRANSITIVE');
    expect(parseLevel('SIDEWAYS')).toBeNull();
    expect(LEVELS).toHaveLength(7);
  });
});
