/**
 * The fold of `_schemas` records (state.ts) and their encoding (records.ts), without Kafka: Confluent's spelling of
 * keys and values (literal strings as a Confluent registry writes them), the first-writer-wins rule for a version
 * two writers raced for, the repair that keeps the fold and a compacted log in agreement, ids that cannot point to
 * two schemas, deletes, and configs.
 */
import { describe, expect, it } from 'vitest';
import { parseAvroSchema } from '../avro-schema.js';
import { encodeConfigValue, encodeKey, encodeSchemaValue, type RegistryKey, type SchemaValue } from '../records.js';
import { type RawRecord, RegistryState } from '../state.js';

const X = '{"type":"record","name":"T","fields":[{"name":"a","type":"int"}]}';
const Y = '{"type":"record","name":"T","fields":[{"name":"b","type":"string"}]}';

const key = (subject: string, version: number): Buffer => encodeKey({ keytype: 'SCHEMA', subject, version });
const val = (v: Partial<SchemaValue> & { subject: string; version: number; id: number; schema: string }) =>
  encodeSchemaValue({ deleted: false, ...v });

function fold(records: RawRecord[]): RegistryState {
  const s = new RegistryState();
  for (const [i, r] of records.entries()) s.apply(i, r.key, r.value);
  return s;
}

/** What Kafka's log compaction keeps: the last record of every key (by bytes), in offset order. */
function compact(records: RawRecord[]): RawRecord[] {
  const last = new Map<string, number>();
  for (const [i, r] of records.entries()) last.set(r.key.toString('hex'), i);
  return records.filter((r, i) => last.get(r.key.toString('hex')) === i);
}

function summary(s: RegistryState) {
  return s
    .subjectNames(true)
    .map((sub) => s.versions(sub, true).map((v) => [sub, v.version, v.id, v.schema, v.deleted]));
}

describe('records in Confluent format', () => {
  it('spells keys and values as Confluent does', () => {
    expect(String(key('ticks-value', 1))).toBe('{"keytype":"SCHEMA","subject":"ticks-value","version":1,"magic":1}');
    expect(String(encodeKey({ keytype: 'CONFIG', subject: null }))).toBe('{"keytype":"CONFIG","magic":0}');
    expect(String(encodeKey({ keytype: 'CONFIG', subject: 's' }))).toBe('{"keytype":"CONFIG","subject":"s","magic":0}');
    expect(String(val({ subject: 's', version: 2, id: 7, schema: '"string"' }))).toBe(
      '{"subject":"s","version":2,"id":7,"schema":"\\"string\\"","deleted":false}',
    );
  });

  it('folds records written by a Confluent registry, including its DELETE_SUBJECT and null-subject CONFIG', () => {
    const lines: [string, string | null][] = [
      [
        '{"keytype":"SCHEMA","subject":"Kafka-value","version":1,"magic":1}',
        '{"subject":"Kafka-value","version":1,"id":1,"schema":"\\"string\\"","deleted":false}',
      ],
      [
        '{"keytype":"SCHEMA","subject":"Kafka-value","version":2,"magic":1}',
        '{"subject":"Kafka-value","version":2,"id":2,"schema":"\\"bytes\\"","deleted":false}',
      ],
      ['{"keytype":"CONFIG","subject":null,"magic":0}', '{"compatibilityLevel":"FULL"}'],
      ['{"keytype":"NOOP","magic":0}', null],
      ['{"keytype":"DELETE_SUBJECT","subject":"Kafka-value","magic":0}', '{"subject":"Kafka-value","version":1}'],
      ['not json', '{}'],
    ];
    const s = fold(lines.map(([k, v]) => ({ key: Buffer.from(k), value: v === null ? null : Buffer.from(v) })));
    expect(s.versions('Kafka-value', true).map((v) => [v.version, v.id, v.deleted])).toEqual([
      [1, 1, true],
      [2, 2, false],
    ]);
    expect(s.configs.get('')).toBe('FULL');
    expect(s.schemaById(1)?.text).toBe('"string"');
    // our own spelling of the global key is the same logical key
    s.apply(9, encodeKey({ keytype: 'CONFIG', subject: null }), encodeConfigValue('NONE'));
    expect(s.configs.get('')).toBe('NONE');
  });
});

describe('first writer wins, and the repair keeps compaction honest', () => {
  // two writers both read "version 1 is free" and wrote it, X first
  const race: RawRecord[] = [
    { key: key('s', 1), value: val({ subject: 's', version: 1, id: 11, schema: X }) },
    { key: key('s', 1), value: val({ subject: 's', version: 1, id: 22, schema: Y }) },
  ];

  it('keeps the first record of a key and marks the key whose last record lost', () => {
    const s = fold(race);
    expect(summary(s)).toEqual([[['s', 1, 11, X, false]]]);
    expect(s.schemaById(22)).toBeUndefined();
    expect(s.illegalRecords).toBe(1);
    expect([...s.illegalTails.values()]).toEqual([{ keytype: 'SCHEMA', subject: 's', version: 1 } as RegistryKey]);
  });

  it('without a repair, compaction would keep the loser; with it, the compacted log folds to the same state', () => {
    expect(summary(fold(compact(race)))).toEqual([[['s', 1, 22, Y, false]]]); // why the repair exists
    const repaired = [...race, { key: key('s', 1), value: val({ subject: 's', version: 1, id: 11, schema: X }) }];
    const full = fold(repaired);
    expect(full.illegalTails.size).toBe(0);
    expect(summary(fold(compact(repaired)))).toEqual(summary(full));
  });

  it('lets an id belong to one schema only', () => {
    const s = fold([
      { key: key('a', 1), value: val({ subject: 'a', version: 1, id: 5, schema: X }) },
      { key: key('b', 1), value: val({ subject: 'b', version: 1, id: 5, schema: Y }) },
      { key: key('c', 1), value: val({ subject: 'c', version: 1, id: 5, schema: X }) },
    ]);
    expect(s.schemaById(5)?.text).toBe(X);
    expect(s.subjectNames()).toEqual(['a', 'c']);
    expect(s.usesOf(5).map((v) => v.subject)).toEqual(['a', 'c']);
  });

  it('takes the same schema written twice under one key (two writers registering the same thing) as one', () => {
    const r = { key: key('s', 1), value: val({ subject: 's', version: 1, id: 11, schema: X }) };
    const s = fold([r, r]);
    expect(s.illegalRecords).toBe(0);
    expect(summary(s)).toEqual([[['s', 1, 11, X, false]]]);
  });

  it('finds a schema by its identity whatever its whitespace and attribute order', () => {
    const reordered = '{ "fields": [ {"type": "int", "name": "a"} ], "name": "T", "type": "record" }';
    const s = fold([{ key: key('s', 1), value: val({ subject: 's', version: 1, id: 11, schema: reordered }) }]);
    expect(s.idOf(parseAvroSchema(X).identity)).toBe(11);
  });
});

describe('deletes and settings', () => {
  it('soft-deletes, refuses to undelete, hard-deletes and frees the id', () => {
    const v1 = { subject: 's', version: 1, id: 11, schema: X };
    const s = fold([
      { key: key('s', 1), value: val(v1) },
      { key: key('s', 1), value: val({ ...v1, deleted: true }) },
      { key: key('s', 1), value: val(v1) }, // an undelete is not a legal transition
    ]);
    expect(s.versions('s')).toEqual([]);
    expect(s.versions('s', true).map((v) => v.deleted)).toEqual([true]);
    expect(s.schemaById(11)?.text).toBe(X); // soft-deleted versions keep their id readable
    s.apply(3, key('s', 1), null);
    expect(s.subjectNames(true)).toEqual([]);
    expect(s.schemaById(11)).toBeUndefined();
    expect(s.maxVersion('s')).toBe(0);
  });

  it('keeps the last config and mode per subject; a null value removes them', () => {
    const s = fold([
      { key: encodeKey({ keytype: 'CONFIG', subject: 's' }), value: encodeConfigValue('FORWARD') },
      { key: encodeKey({ keytype: 'CONFIG', subject: 's' }), value: encodeConfigValue('FULL_TRANSITIVE') },
      { key: encodeKey({ keytype: 'MODE', subject: null }), value: Buffer.from('{"mode":"READONLY"}') },
    ]);
    expect(s.configs.get('s')).toBe('FULL_TRANSITIVE');
    expect(s.modes.get('')).toBe('READONLY');
    s.apply(3, encodeKey({ keytype: 'CONFIG', subject: 's' }), null);
    expect(s.configs.has('s')).toBe(false);
  });
});
