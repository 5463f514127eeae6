/**
 * Avro record schemas as DuckDB columns (duckdb-columns.ts): the mapping written out by hand, checked by DuckDB
 * itself (the definitions create a table whose DESCRIBE gives the same types and null flags), and a subject's
 * columns read from `_schemas` on the embedded broker.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../broker/index.js';
import { TICK_AVRO_SCHEMA } from '../../contracts/tick-avro.js';
import { isTicklakeError } from '../../core/errors.js';
import { logger } from '../../core/log.js';
import { parseAvroSchema } from '../avro-schema.js';
import { avroRecordColumns, columnDefinitions, subjectColumns } from '../duckdb-columns.js';
import { RegistryService } from '../service.js';

const order = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'paid', type: 'boolean' },
    { name: 'qty', type: 'int' },
    { name: 'weight', type: 'float' },
    { name: 'total', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } },
    { name: 'previous', type: ['null', 'Status'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: 'long' } },
    {
      name: 'address',
      type: {
        type: 'record',
        name: 'Address',
        fields: [
          { name: 'street', type: 'string' },
          { name: 'zip', type: ['null', 'int'] },
        ],
      },
    },
    { name: 'billing', type: ['null', 'Address'], default: null },
    { name: 'created', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'ref', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'digest', type: { type: 'fixed', name: 'Md5', size: 16 } },
    { name: 'amount', type: ['int', 'string'] },
    { name: 'window', type: 'string' },
  ],
};

const ADDRESS = 'STRUCT("street" VARCHAR, "zip" INTEGER)';
const expected = [
  ['id', 'BIGINT', false],
  ['paid', 'BOOLEAN', false],
  ['qty', 'INTEGER', false],
  ['weight', 'FLOAT', false],
  ['total', 'DECIMAL(12, 2)', false],
  ['note', 'VARCHAR', true],
  ['status', 'VARCHAR', false],
  ['previous', 'VARCHAR', true],
  ['tags', 'VARCHAR[]', false],
  ['attrs', 'MAP(VARCHAR, BIGINT)', false],
  ['address', ADDRESS, false],
  ['billing', ADDRESS, true],
  ['created', 'TIMESTAMP', false],
  ['day', 'DATE', false],
  ['ref', 'UUID', false],
  ['digest', 'BLOB', false],
  ['amount', 'UNION("int" INTEGER, "string" VARCHAR)', false],
  ['window', 'VARCHAR', false],
];

describe('Avro records as DuckDB columns', () => {
  it('maps every Avro type as the table in the file comment says', () => {
    const cols = avroRecordColumns(JSON.stringify(order));
    expect(cols.map((c) => [c.name, c.type, c.nullable])).toEqual(expected);
  });

  it('gives definitions DuckDB accepts, with the same types and null flags', async () => {
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      await db.run(`CREATE TABLE t (${columnDefinitions(avroRecordColumns(order))})`);
      const rows = (await db.runAndReadAll('DESCRIBE t')).getRowObjectsJS();
      const norm = (t: string) => t.replaceAll('"', '').replaceAll(' ', '');
      expect(rows.map((r) => [r.column_name, norm(String(r.column_type)), r.null === 'YES'])).toEqual(
        expected.map(([n, t, nullable]) => [n, norm(String(t)), nullable]),
      );
    } finally {
      db.closeSync();
    }
  });

  it("maps ticklake's own tick schema", () => {
    expect(
      avroRecordColumns(TICK_AVRO_SCHEMA).map((c) => `${c.name} ${c.type}${c.nullable ? '' : ' NOT NULL'}`),
    ).toEqual([
      'v INTEGER NOT NULL',
      'symbol VARCHAR NOT NULL',
      'exchange VARCHAR NOT NULL',
      'assetClass VARCHAR NOT NULL',
      'ts BIGINT NOT NULL',
      'price DOUBLE NOT NULL',
      'size BIGINT NOT NULL',
      'src VARCHAR',
      'seq BIGINT',
    ]);
  });

  it('refuses what has no columns: a non-record, a recursive record, an invalid schema', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isTicklakeError(e) ? `${e.code}: ${e.message}` : String(e);
      }
      return 'no error';
    };
    expect(code(() => avroRecordColumns('"string"', 'subject s'))).toMatch(
      /^TL_REGISTRY_BAD_SCHEMA: .*subject s.*not an Avro record/,
    );
    const list = { type: 'record', name: 'Node', fields: [{ name: 'next', type: ['null', 'Node'] }] };
    expect(code(() => avroRecordColumns(list))).toMatch(/TL_REGISTRY_BAD_SCHEMA: .*Node refers to itself/);
    expect(code(() => avroRecordColumns('{"type":"record"}'))).toMatch(/TL_REGISTRY_BAD_SCHEMA/);
  });

  it("reads a subject's latest columns from _schemas", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ticklake-duckdb-columns-'));
    const broker = await startBroker({ dataDir: join(dir, 'broker'), port: 0 });
    const svc = new RegistryService({ brokers: [broker.address], log: logger('registry') });
    try {
      await svc.start({ tail: false, retry: false });
      const v1 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] };
      const v2 = { ...v1, fields: [...v1.fields, { name: 'b', type: ['null', 'string'], default: null }] };
      await svc.registerParsed('r-value', parseAvroSchema(JSON.stringify(v1)));
      await svc.registerParsed('r-value', parseAvroSchema(JSON.stringify(v2)));
      const brokers = [broker.address];
      expect(await subjectColumns({ brokers, subject: 'r-value' })).toEqual([
        { name: 'a', type: 'INTEGER', nullable: false },
        { name: 'b', type: 'VARCHAR', nullable: true },
      ]);
      expect((await subjectColumns({ brokers, subject: 'r-value', version: 1 })).map((c) => c.name)).toEqual(['a']);
      await expect(subjectColumns({ brokers, subject: 'nope-value' })).rejects.toThrow(
        /subject nope-value cannot be used here: not found/,
      );
    } finally {
      await svc.close();
      await broker.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
