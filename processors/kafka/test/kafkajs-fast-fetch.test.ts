import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { KAFKAJS_VERSION } from '../../../core/kafkajs-pin.js';
import { makeBatch, makeRecordDecoder } from '../kafkajs-fast-fetch.js';

// kafkajs's own pieces are the reference: the stock record decoder and Batch, fed the same bytes and messages
const require = createRequire(import.meta.url);
const k = (p: string) => require(`kafkajs/src/${p}`);
const Decoder = k('protocol/decoder.js');
const RecordEncoder = k('protocol/recordBatch/record/v0/index.js');
const StockRecord = k('protocol/recordBatch/record/v0/decoder.js');
const HeaderDecoder = k('protocol/recordBatch/header/v0/decoder.js');
const Long = k('utils/long.js');
const Batch = k('consumer/batch.js');
const filterAborted = k('consumer/filterAbortedMessages.js');
const { CREATE_TIME, LOG_APPEND_TIME } = k('protocol/timestampTypes.js');

/** The body of one encoded record, as the record batch decoder hands it to the record decoder. */
function recordBody(r: {
  timestampDelta: unknown;
  offsetDelta: number;
  key: unknown;
  value: unknown;
  headers: unknown;
}) {
  return new Decoder(RecordEncoder(r).buffer).readVarIntBytes();
}

describe('kafkajs-fast-fetch: kafkajs record decoding without a BigInt per record', () => {
  it('is written for the kafkajs version the lockfile installs', () => {
    expect(require('kafkajs/package.json').version).toBe(KAFKAJS_VERSION);
  });

  it('decodes every record as kafkajs does, exact or falling back beyond 2^53', () => {
    const ctx = (c: Record<string, unknown>) => ({
      firstOffset: '0',
      firstTimestamp: '1767605400000',
      maxTimestamp: '1767605409999',
      timestampType: CREATE_TIME,
      magicByte: 2,
      producerId: '-1',
      inTransaction: false,
      ...c,
    });
    const contexts = [
      ctx({}),
      ctx({ firstOffset: '123456789', firstTimestamp: '-1' }),
      // offsets and timestamps whose sums leave the doubles' exact range, or start outside it
      ctx({ firstOffset: '9007199254740000', firstTimestamp: '9007199254740000' }),
      ctx({ firstOffset: '9223372036854775000', firstTimestamp: '9223372036854775000' }),
      ctx({ timestampType: LOG_APPEND_TIME }),
      ctx({ isControlBatch: true }),
    ];
    const deltas = [0, 1, -1, 63, 64, -64, -65, 5000, -5000, 2 ** 20, 2 ** 47 - 1, -(2 ** 47), 2 ** 47, 2 ** 48];
    // 2^48 + 1 and 2^54 + 1 (not exact in doubles) take 8 varlong bytes
    const bigDeltas = [
      '-281474976710657',
      '18014398509481985',
      '-18014398509481985',
      '36028797018963968',
      '-4611686018427387904',
    ];
    type Rec = {
      timestampDelta: number | string;
      offsetDelta: number;
      key: Buffer | null;
      value: Buffer | null;
      headers: Record<string, string | string[]>;
    };
    const records: Rec[] = [
      ...[...deltas, ...bigDeltas].map((timestampDelta, i) => ({
        timestampDelta,
        offsetDelta: i * 37,
        key: Buffer.from(`k${i}`),
        value: Buffer.from(`{"v":${i},"s":"é"}`),
        headers: {},
      })),
      { timestampDelta: 3, offsetDelta: 2 ** 31 - 1, key: null, value: null, headers: {} },
      { timestampDelta: 4, offsetDelta: 1000, key: Buffer.alloc(0), value: Buffer.alloc(0), headers: { a: '1' } },
      { timestampDelta: 5, offsetDelta: 1001, key: null, value: Buffer.from('x'), headers: { a: ['1', '2'], b: 'y' } },
      { timestampDelta: 6, offsetDelta: 1002, key: null, value: null, headers: { constructor: 'c', b: 'y' } },
    ];
    const fast = makeRecordDecoder(Long, HeaderDecoder, LOG_APPEND_TIME);
    let compared = 0;
    // one decoder over records of interleaved batches, as batches of several partitions are decoded
    for (const r of records) {
      for (const c of contexts) {
        const body = recordBody(r);
        const dStock = new Decoder(body);
        const dFast = new Decoder(body);
        const want = StockRecord(dStock, c);
        const got = fast(dFast, c);
        expect(got).toEqual(want);
        expect(got.batchContext).toBe(c);
        expect(dFast.offset).toBe(dStock.offset);
        compared++;
      }
    }
    expect(compared).toBe(records.length * contexts.length);
    // spot checks by hand, independent of kafkajs: base + delta as decimal text
    const body = recordBody({ timestampDelta: -65, offsetDelta: 37, key: null, value: null, headers: {} });
    const r = fast(new Decoder(body), ctx({ firstOffset: '9007199254740990' }));
    expect(r.offset).toBe('9007199254741027');
    expect(r.timestamp).toBe('1767605399935');
  });

  it('builds batches as kafkajs does: offsets below the fetched one, control records and aborted transactions', () => {
    const msg = (offset: string, extra: Record<string, unknown> = {}) => ({
      offset,
      key: Buffer.from('k'),
      value: Buffer.from('v'),
      isControlRecord: false,
      batchContext: { producerId: '7', inTransaction: false },
      ...extra,
    });
    const inTx = { batchContext: { producerId: '9', inTransaction: true } };
    const cases: [string, Record<string, unknown>][] = [
      ['10', { messages: [5, 8, 10, 11, 12].map((o) => msg(String(o))) }],
      ['0', { messages: [] }],
      ['12', { messages: [5, 8].map((o) => msg(String(o))) }],
      [
        '9007199254740993',
        { messages: ['9007199254740992', '9007199254740993', '9007199254740994'].map((o) => msg(o)) },
      ],
      ['3', { messages: [msg('3'), msg('4', { isControlRecord: true }), msg('5')] }],
      [
        '20',
        {
          abortedTransactions: [{ producerId: '9', firstOffset: '22' }],
          messages: [
            msg('20'),
            msg('21', inTx),
            msg('22', inTx),
            msg('23', inTx),
            msg('24', { ...inTx, key: Buffer.from([0, 0, 0, 0]), isControlRecord: true }),
            msg('25', inTx),
          ],
        },
      ],
    ];
    const FastBatch = makeBatch(Long, Batch, filterAborted) as unknown as typeof Batch;
    for (const [fetchedOffset, data] of cases) {
      const partitionData = { partition: 2, highWatermark: '30', ...data };
      const want = new Batch('ticks', fetchedOffset, partitionData);
      const got = new FastBatch('ticks', fetchedOffset, partitionData);
      expect(got).toBeInstanceOf(Batch);
      expect(got).toEqual(want);
      for (const m of [
        'isEmpty',
        'isEmptyIncludingFiltered',
        'isEmptyDueToFiltering',
        'isEmptyControlRecord',
        'firstOffset',
        'lastOffset',
        'offsetLag',
        'offsetLagLow',
      ]) {
        expect([m, got[m]()]).toEqual([m, want[m]()]);
      }
    }
    // by hand: the aborted transaction's messages and the control records are gone
    const aborted = new FastBatch('ticks', '20', { partition: 0, highWatermark: '30', ...cases[5][1] });
    expect(aborted.messages.map((m: { offset: string }) => m.offset)).toEqual(['20', '21', '25']);
  });
});
