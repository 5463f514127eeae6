/**
 * Column values in Debezium's encoding, against hand-checked numbers: Java BigInteger.toByteArray bytes for the
 * Decimal's unscaled value (0 → 00, 127 → 7f, 128 → 00 80, −1 → ff, −128 → 80, −129 → ff 7f), DATETIME read
 * without a zone, TIMESTAMP as UTC text, TIME in microseconds, zero dates as null.
 */
import { describe, expect, it } from 'vitest';
import { connectField, connectValue, twosComplement, unscaled } from '../debezium-values.js';
import { RawNumber, toJson } from '../raw-json.js';
import type { CapturedColumn } from '../table-schema.js';

const col = (c: Partial<CapturedColumn>): CapturedColumn => ({
  name: 'x',
  kind: 'string',
  optional: true,
  mysqlType: '',
  ...c,
});

describe('debezium values', () => {
  it("encodes two's complement like Java's BigInteger.toByteArray", () => {
    const hex = (n: bigint) => twosComplement(n).toString('hex');
    expect([0n, 127n, 128n, 255n, 256n, -1n, -128n, -129n, -32768n, -32769n].map(hex)).toEqual([
      '00',
      '7f',
      '0080',
      '00ff',
      '0100',
      'ff',
      '80',
      'ff7f',
      '8000',
      'ff7fff',
    ]);
  });

  it('keeps DECIMAL exact through its unscaled value', () => {
    expect(unscaled('-123.4500', 4)).toBe(-1234500n);
    expect(unscaled('12', 2)).toBe(1200n);
    expect(unscaled('0.5', 2)).toBe(50n);
    const c = col({ kind: 'decimal', precision: 38, scale: 10 });
    // the unscaled value 12345678901234567890.0123456789 × 10^10, positive: its plain big-endian bytes
    expect(
      Buffer.from(String(connectValue(c, '12345678901234567890.0123456789', true)), 'base64').toString('hex'),
    ).toBe(123456789012345678900123456789n.toString(16).padStart(26, '0'));
    expect(connectValue(c, '-1.5', false)).toBe('-1.5');
    expect(connectField(c, true)).toMatchObject({
      type: 'bytes',
      name: 'org.apache.kafka.connect.data.Decimal',
      parameters: { scale: '10', 'connect.decimal.precision': '38' },
    });
    expect(() => unscaled('1.234', 2)).toThrow(/more than 2 decimals/);
  });

  it('writes BIGINT digits verbatim, beyond 2^53 too', () => {
    const v = connectValue(col({ kind: 'int64' }), '9223372036854775807', true);
    expect(v).toBeInstanceOf(RawNumber);
    expect(toJson({ id: v })).toBe('{"id":9223372036854775807}');
  });

  it('reads DATETIME without a zone and TIMESTAMP as UTC', () => {
    const dt3 = col({ kind: 'datetime', fsp: 3 });
    const dt6 = col({ kind: 'datetime', fsp: 6 });
    expect(toJson(connectValue(dt3, '2026-01-02 03:04:05.678', true))).toBe(String(Date.UTC(2026, 0, 2, 3, 4, 5, 678)));
    expect(toJson(connectValue(dt6, '1970-01-01 00:00:01.000002', true))).toBe('1000002');
    expect(connectField(dt6, true).name).toBe('io.debezium.time.MicroTimestamp');
    expect(connectValue(dt3, '0000-00-00 00:00:00', true)).toBeNull();
    expect(connectValue(col({ kind: 'timestamp', fsp: 3 }), '2026-01-01 10:00:00.250', true)).toBe(
      '2026-01-01T10:00:00.250Z',
    );
    expect(connectValue(col({ kind: 'date' }), '1970-01-02', true)).toBe(1);
    expect(connectValue(col({ kind: 'date' }), '1969-12-31', true)).toBe(-1);
    expect(toJson(connectValue(col({ kind: 'time' }), '-838:59:59.000001', true))).toBe('-3020399000001');
  });

  it('maps BIT(1) to boolean, BLOB to base64, ENUM and SET to text with their values', () => {
    expect(connectValue(col({ kind: 'bool' }), Buffer.from([1]), true)).toBe(true);
    expect(connectValue(col({ kind: 'bytes' }), Buffer.from([0, 255]), true)).toBe('AP8=');
    const e = col({ kind: 'set', values: ['a', 'b'] });
    expect(connectField(e, true)).toMatchObject({ name: 'io.debezium.data.EnumSet', parameters: { allowed: 'a,b' } });
    expect(connectValue(e, 'a,b', true)).toBe('a,b');
    expect(connectValue(col({ kind: 'json' }), '{"a":1}', true)).toBe('{"a":1}');
  });
});
