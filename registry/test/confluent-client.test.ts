/**
 * An independent client against ticklake's registry: @kafkajs/confluent-schema-registry (Confluent's wire format
 * and REST API, its own avsc) registers, fetches, encodes and decodes through the registry mounted at /registry of
 * the API (a base URL with a path, as `ticklake serve` and `start` serve it). Then both directions of Avro ticks:
 * ticks the library encodes are read by the processor's decoding path (schemas found in `_schemas`), and ticks
 * `ticklake produce --format avro` writes (the schema registered in-process, or over HTTP with --registry-url) are
 * decoded by the library into exactly the JSON ticks `ticklake produce` writes for the same seed.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { FastifyInstance } from 'fastify';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import type { RunningBroker } from '../../broker/index.js';
import { parseTickAvro, TICK_AVRO_SCHEMA } from '../../contracts/tick-avro.js';
import { logger } from '../../core/log.js';
import { useBroker } from '../../test/helpers/broker.js';
import { consumeRaw } from '../../test/helpers/consume-raw.js';
import { SchemaLookup } from '../schema-lookup.js';
import { mountRegistry, openRegistry } from '../server.js';
import type { RegistryService } from '../service.js';
import { wireSchemaId } from '../wire-format.js';

const BIN = new URL('../../cli/bin.js', import.meta.url).pathname;
let dir: string;
let broker: RunningBroker;
let app: FastifyInstance;
let service: RegistryService;
let url: string;
let client: SchemaRegistry;

const embedded = useBroker('ticklake-registry-client', { defaultPartitions: 3, groupInitialRebalanceDelayMs: 0 });
beforeAll(async () => {
  ({ dir, broker } = embedded);
  await mkdir(join(dir, 'lake'));
  app = await buildApp({ lakeDir: join(dir, 'lake'), logger: false });
  service = openRegistry({ brokers: [broker.address], log: logger('registry') });
  await mountRegistry(app, service);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  url = `${address}/registry`;
  client = new SchemaRegistry({ host: url, retry: { retries: 0 } });
});

afterAll(async () => {
  await app?.close();
  await service?.close();
});

const quote = {
  type: 'record',
  name: 'Quote',
  namespace: 'com.example',
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'bid', type: 'double' },
    { name: 'ask', type: 'double' },
  ],
};

describe('@kafkajs/confluent-schema-registry against ticklake', () => {
  it('registers, fetches, encodes and decodes', async () => {
    const { id } = await client.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(quote) },
      { subject: 'quotes-value', compatibility: COMPATIBILITY.BACKWARD },
    );
    expect(await client.getLatestSchemaId('quotes-value')).toBe(id);
    expect(await client.getRegistryId('quotes-value', 1)).toBe(id);
    expect(await client.getRegistryId('quotes-value', 'latest')).toBe(id);
    expect(
      await client.getRegistryIdBySchema('quotes-value', { type: SchemaType.AVRO, schema: JSON.stringify(quote) }),
    ).toBe(id);
    const payload = { symbol: 'AAPL', bid: 187.4, ask: 187.45 };
    const bytes = await client.encode(id, payload);
    expect([...bytes.subarray(0, 5)]).toEqual([0, (id >>> 24) & 255, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]);
    // a fresh client has no cache: decode fetches the schema by id from the registry
    const fresh = new SchemaRegistry({ host: url });
    expect(await fresh.decode(bytes)).toEqual(payload);
    // the library's register set the subject's level (it asks for BACKWARD when none is set)
    expect(await (await fetch(`${url}/config/quotes-value`)).json()).toEqual({ compatibilityLevel: 'BACKWARD' });
  });

  it('evolves: a field with a default is a new version, a required field is refused', async () => {
    const withSpread = { ...quote, fields: [...quote.fields, { name: 'spread', type: 'double', default: 0 }] };
    const { id } = await client.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(withSpread) },
      { subject: 'quotes-value' },
    );
    expect(await client.getLatestSchemaId('quotes-value')).toBe(id);
    const required = { ...quote, fields: [...quote.fields, { name: 'venue', type: 'string' }] };
    await expect(
      client.register({ type: SchemaType.AVRO, schema: JSON.stringify(required) }, { subject: 'quotes-value' }),
    ).rejects.toMatchObject({ status: 409 });
  });

  it("ticks the library encodes are read by the processor's decoding path", async () => {
    const schema = { ...TICK_AVRO_SCHEMA, namespace: 'com.other' };
    const { id } = await client.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: 'lib-ticks-value' },
    );
    const tick = {
      v: 1,
      symbol: 'BTC-USD',
      exchange: 'CRX',
      assetClass: 'crypto',
      ts: 1767225600000,
      price: 94000.5,
      size: 2,
    };
    const bytes = await client.encode(id, tick);
    const lookup = new SchemaLookup({ brokers: [broker.address], log: logger('test') });
    try {
      await lookup.prepare([bytes]);
      expect(parseTickAvro(bytes, wireSchemaId(bytes), lookup.typeOf)).toEqual({ tick });
    } finally {
      await lookup.close();
    }
  });

  it('decodes what `ticklake produce --format avro` writes into the JSON ticks of the same seed', async () => {
    const common = ['--brokers', broker.address, '--count', '400', '--seed', '7', '--start', '2026-01-05T09:30:00Z'];
    // the broker runs in this process: the CLI runs beside it, never blocking it (execFile, not spawnSync)
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [BIN, 'produce', ...common, ...args], {
        env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
      });
    await run(['--topic', 'p-json']);
    await run(['--topic', 'p-avro', '--format', 'avro']);
    await run(['--topic', 'p-avro-http', '--format', 'avro', '--registry-url', url]);
    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
    const [json, avro, avroHttp] = await Promise.all(
      ['p-json', 'p-avro', 'p-avro-http'].map((t) => consumeRaw(kafka, t, 400)),
    );
    const ids = new Set([...avro, ...avroHttp].map((m) => wireSchemaId(m.value)));
    expect(ids.size).toBe(1); // one schema, so one id in both subjects
    const [id] = ids;
    expect(await client.getLatestSchemaId('p-avro-value')).toBe(id);
    expect(await client.getLatestSchemaId('p-avro-http-value')).toBe(id);
    for (const [i, m] of json.entries()) {
      const expected = JSON.parse(String(m.value));
      for (const other of [avro[i], avroHttp[i]]) {
        expect([other.partition, other.offset, String(other.key)]).toEqual([m.partition, m.offset, String(m.key)]);
        expect(await client.decode(other.value as Buffer)).toEqual(expected);
      }
    }
    // Avro is the smaller encoding
    const bytes = (ms: typeof json) => ms.reduce((a, m) => a + (m.value?.length ?? 0), 0);
    expect(bytes(avro)).toBeLessThan(bytes(json) / 2);
  }, 60_000);
});
