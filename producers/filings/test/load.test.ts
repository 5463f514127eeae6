/**
 * The FSDS loader without Kafka, then `ticklake filings load` against the embedded broker: files read by header
 * name in both num.txt layouts, zip and folder giving the same records, and bad rows reported with file:line and
 * reason while every valid row is still published (counted on the topic with kafkajs).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../broker/index.js';
import { writeNewQuarter, writeOldQuarter } from '../../../test/helpers/filings-fixture.js';
import { readQuarter } from '../load.js';
import { parseTsv } from '../tsv.js';

const BIN = join(import.meta.dirname, '..', '..', '..', 'cli', 'bin.js');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ticklake-filings-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const byTopic = async (path: string) => Object.fromEntries((await readQuarter(path)).map((r) => [r.layout.topic, r]));

describe('reading quarters', () => {
  it('a line with the wrong number of fields is a bad row with its line number', () => {
    const t = parseTsv('x.txt', 'a\tb\n1\t2\n3\n\n4\t5\r\n', ['a']);
    expect(t.rows.map((r) => [r.line, r.get('a'), r.get('b')])).toEqual([
      [2, '1', '2'],
      [5, '4', '5'],
    ]);
    expect(t.bad).toEqual([{ file: 'x.txt', line: 3, reason: '1 fields, the header has 2' }]);
    expect(() => parseTsv('y.txt', 'a\tb\n', ['adsh'])).toThrow('y.txt: the header line has no column adsh');
  });

  it('the zipped old layout (footnote, no segments) and the folder of the new layout (segments) by header name', async () => {
    const old = await byTopic(writeOldQuarter(dir));
    const neu = await byTopic(writeNewQuarter(dir));
    const first = JSON.parse(old['filings.numbers'].records[0].value);
    expect(first).toEqual({
      adsh: '0000001001-24-000003',
      tag: 'Revenues',
      version: 'us-gaap/2024',
      coreg: '',
      segments: '',
      ddate: '2024-09-30',
      qtrs: 1,
      uom: 'USD',
      value: '950',
      footnote: null,
    });
    expect(JSON.parse(old['filings.numbers'].records[0].key)).toEqual({
      adsh: '0000001001-24-000003',
      tag: 'Revenues',
      version: 'us-gaap/2024',
      coreg: '',
      segments: '',
      ddate: '2024-09-30',
      qtrs: 1,
      uom: 'USD',
    });
    const seg = neu['filings.numbers'].records.map((r) => JSON.parse(r.value)).find((v) => v.segments !== '');
    expect(seg).toMatchObject({ tag: 'Revenues', segments: 'ProductOrServiceAxis=Widgets;', coreg: '', value: '999' });
    const sub = JSON.parse(neu['filings.submissions'].records[1].value);
    expect(sub).toMatchObject({
      adsh: '0000001001-25-000004',
      cik: 1001,
      form: '10-Q/A',
      period: '2025-06-30',
      accepted: '2025-08-20T16:00:00.0',
      filed: '2025-08-20',
      prevrpt: false,
    });
    expect(neu['reference.stock_splits'].records.map((r) => JSON.parse(r.value))).toEqual([
      { symbol: 'ACME', ex_date: '2025-04-14', ratio: 2 },
    ]);
    for (const q of [old, neu]) for (const r of Object.values(q)) expect(r.bad).toEqual([]);
  });

  it('a zip and the folder it came from give the same records', async () => {
    const zip = await byTopic(writeOldQuarter(dir));
    const folder = await byTopic(join(dir, 'old'));
    for (const t of Object.keys(folder)) expect(zip[t].records).toEqual(folder[t].records);
  });
});

describe('ticklake filings load', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ port: 0, dataDir: join(dir, 'broker') });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('reports every bad row with file:line and reason, publishes every valid one, exits 1', async () => {
    const src = writeNewQuarter(dir);
    const bad = join(dir, 'bad');
    await mkdir(bad, { recursive: true });
    for (const f of ['sub.txt', 'tag.txt', 'pre.txt']) await writeFile(join(bad, f), await readFile(join(src, f)));
    const num = (await readFile(join(src, 'num.txt'), 'utf8')).replace(/\n$/, '').split('\n');
    const good = num.length - 1;
    const fields = num[1].split('\t');
    const line = (patch: Record<number, string>) => fields.map((v, i) => patch[i] ?? v).join('\t');
    num.push(
      line({ 3: '20251331' }), // ddate: no 13th month
      line({ 8: '12x' }), // value
      line({ 0: '0000009999-25-000001' }), // no such submission
      num[1], // the same key again
      fields.slice(0, 5).join('\t'), // cut short
    );
    await writeFile(join(bad, 'num.txt'), `${num.join('\n')}\n`);
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        const child = spawn(process.execPath, [BIN, 'filings', 'load', bad, '--brokers', broker.address]);
        let [out, err] = ['', ''];
        child.stdout.on('data', (d) => {
          out += d;
        });
        child.stderr.on('data', (d) => {
          err += d;
        });
        child.on('exit', (c) => resolve({ code: c, stdout: out, stderr: err }));
      },
    );
    const f = join(bad, 'num.txt');
    expect(code).toBe(1);
    expect(stderr).toContain(`${f}:${good + 2}: field ddate "20251331" is not a date (yyyymmdd)`);
    expect(stderr).toContain(`${f}:${good + 3}: field value "12x" is not a number of at most 24 digits and 4 decimals`);
    expect(stderr).toContain(`${f}:${good + 4}: submission 0000009999-25-000001 is not in sub.txt`);
    expect(stderr).toContain(`${f}:${good + 5}: the same key as line 2: `);
    expect(stderr).toContain(`${f}:${good + 6}: 5 fields, the header has 10`);
    expect(stdout).toContain(`filings.numbers ${good},`);
    expect(stdout).toContain('5 bad rows');
    // the valid rows are on the topic, read back with kafkajs
    const admin = new Kafka({ clientId: 'count', brokers: [broker.address], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('filings.numbers');
    await admin.disconnect();
    expect(offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0)).toBe(good);
  });

  it('an unreadable quarter names the file and what is wrong', async () => {
    await writeFile(join(dir, 'not.zip'), 'hello');
    const child = spawn(process.execPath, [BIN, 'filings', 'load', join(dir, 'not.zip'), '--brokers', broker.address]);
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(1);
    expect(err).toContain(
      `${join(dir, 'not.zip')}: not a ZIP archive (no end-of-central-directory record) [TL_DATA_BAD_FILE]`,
    );
  });
});
