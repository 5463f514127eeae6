/**
 * ticklake's change events against Debezium's: the MySQL connector's documented `customers` example (create,
 * update, delete, tombstone) and a table with a DECIMAL(10,2) column in precise mode (fixtures/, written from
 * Debezium's documentation), fed straight to a topic, and the equivalent SQL statements captured by `ticklake
 * cdc`: both topics decode (with the test's own decoder) to the same sequence of changes and the same rows.
 * (That both reach the same lake state through the keyed-table engine waits for the engine on main.)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CdcEnv, cdcEnvAvailable, type KcatMessage, kcatRead, startCdcEnv } from '../../../test/helpers/cdc.js';
import { decodeRow, foldTopic } from '../../../test/helpers/debezium-fold.js';
import { createDatabase, queryMysql } from '../../../test/helpers/mysql.js';
import { runCdc } from '../cdc-run.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/debezium-mysql-examples.jsonl', import.meta.url));

function changes(msgs: KcatMessage[]) {
  return msgs.map((m) => {
    const key = m.key === null ? null : JSON.parse(m.key).payload;
    if (m.value === null) return { key, op: 'tombstone' };
    const v = JSON.parse(m.value);
    const fields = v.schema.fields.find((f: { field: string }) => f.field === 'after').fields;
    const p = v.payload;
    return {
      key,
      op: p.op,
      before: p.before && decodeRow(p.before, fields),
      after: p.after && decodeRow(p.after, fields),
    };
  });
}

let env: CdcEnv;

describe.skipIf(!cdcEnvAvailable())("Debezium's documented events and ticklake cdc's", () => {
  beforeAll(async () => {
    env = await startCdcEnv('cdc-dbz');
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('decode to the same changes and rows', async () => {
    const kafka = new Kafka({ clientId: 'fixture', brokers: env.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    for (const line of (await readFile(FIXTURES, 'utf8')).trim().split('\n')) {
      const l = JSON.parse(line) as { topic: string; key: string; value: string | null };
      await producer.send({ topic: `dbz.inventory.${l.topic}`, acks: -1, messages: [{ key: l.key, value: l.value }] });
    }
    await producer.disconnect();

    const url = await createDatabase(env.my.url, 'inventory');
    await queryMysql(
      url,
      'CREATE TABLE customers (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, first_name VARCHAR(255) NOT NULL, last_name VARCHAR(255) NOT NULL, email VARCHAR(255) NOT NULL UNIQUE KEY) AUTO_INCREMENT=1001',
    );
    await queryMysql(
      url,
      'CREATE TABLE products (id INT PRIMARY KEY, name VARCHAR(255) NOT NULL, price DECIMAL(10,2) NOT NULL)',
    );
    await runCdc({
      mysqlUrl: url,
      brokers: env.brokers,
      tables: [],
      snapshot: 'initial',
      topicPrefix: 'tl',
      offsetsDir: join(env.dir, 'offsets'),
      serverId: 903,
      schemas: true,
      stopWhenIdleMs: 800,
    });
    for (const sql of [
      "INSERT INTO customers VALUES (1004, 'Anne', 'Kretchmar', 'annek@noanswer.org')",
      "UPDATE customers SET first_name = 'Anne Marie' WHERE id = 1004",
      'DELETE FROM customers WHERE id = 1004',
      "INSERT INTO products VALUES (101, 'scooter', 12.34)",
      "INSERT INTO products VALUES (102, 'car battery', -0.50)",
      'UPDATE products SET price = 999999.99 WHERE id = 101',
    ]) {
      await queryMysql(url, sql);
    }
    await runCdc({
      mysqlUrl: url,
      brokers: env.brokers,
      tables: [],
      snapshot: 'initial',
      topicPrefix: 'tl',
      offsetsDir: join(env.dir, 'offsets'),
      serverId: 903,
      schemas: true,
      stopWhenIdleMs: 800,
    });

    for (const table of ['customers', 'products']) {
      const theirs = await kcatRead(env.brokers, `dbz.inventory.${table}`);
      const ours = await kcatRead(env.brokers, `tl.inventory.${table}`);
      // a key's changes are in order within its partition: compare them key by key
      const perKey = (msgs: KcatMessage[]) => {
        const out: Record<string, unknown[]> = {};
        for (const c of changes(msgs)) {
          const k = JSON.stringify(c.key);
          out[k] = [...(out[k] ?? []), c];
        }
        return out;
      };
      expect(perKey(ours), table).toEqual(perKey(theirs));
      expect([...foldTopic(ours).rows], table).toEqual([...foldTopic(theirs).rows]);
    }
    const products = [...foldTopic(await kcatRead(env.brokers, 'tl.inventory.products')).rows.values()];
    expect(products.map((r) => r.price).sort()).toEqual(['-0.50', '999999.99']);
  }, 120_000);
});
