/**
 * The fast path of parseTick (tick-scan.ts) against the general path it short-cuts: for every input, parseTick must
 * give what JSON.parse + the schema give (decision, error text, every field bit for bit), and the scanner may only
 * accept what that path accepts. Inputs: canonical messages from the real simulator and tens of thousands of
 * mutations of them (bytes, structure, numbers, strings, escapes, encodings).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../producers/rng.js';
import { Simulator } from '../../producers/simulator.js';
import { loadUniverse, selectSymbols } from '../../producers/universe.js';
import { ASSET_CLASSES, parseTick, parseTickSlow, type Tick, tickProblem, tickSchema } from '../tick.js';
import {
  SCAN_ASSET_CLASSES,
  SCAN_MAX_SRC,
  SCAN_MAX_STRING,
  SCAN_SYMBOL_PATTERN,
  scanGeneral,
  scanTick,
} from '../tick-scan.js';

const START = Date.UTC(2026, 0, 5, 9, 30);

/** The reference, written here from the contract: UTF-8 text, JSON.parse, the schema check. */
function reference(b: Buffer): Record<string, unknown> | null {
  let v: unknown;
  try {
    v = JSON.parse(b.toString('utf8'));
  } catch {
    return null;
  }
  return tickProblem(v) === null ? (v as Record<string, unknown>) : null;
}

/** Same own keys and every value identical (Object.is: numbers bit for bit, -0 apart from 0); nested by JSON. */
function same(a: object, b: object): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.join('\0') !== kb.join('\0')) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) =>
    typeof ra[k] === 'object' && ra[k] !== null
      ? JSON.stringify(ra[k]) === JSON.stringify(rb[k])
      : Object.is(ra[k], rb[k]),
  );
}

interface Verdict {
  /** What is wrong, or null when parseTick, scanTick and scanGeneral all agree with the general path. */
  why: string | null;
  /** scanTick took the input (no fallback). */
  scanned: boolean;
  /** The general path accepts the input. */
  valid: boolean;
}

function judge(b: Buffer): Verdict {
  const slow = parseTickSlow(b);
  const ref = reference(b);
  const valid = 'tick' in slow;
  const general = scanGeneral(b);
  const scanned = scanTick(b);
  const verdict = (why: string | null): Verdict => ({ why, scanned: scanned !== null, valid });
  if ('tick' in slow ? ref === null || !same(slow.tick, ref) : ref !== null)
    return verdict('parseTickSlow ≠ reference');
  const fast = parseTick(b);
  if ('tick' in fast !== valid) return verdict('parseTick decides otherwise');
  if ('tick' in fast && 'tick' in slow && !same(fast.tick, slow.tick)) return verdict('parseTick value differs');
  if ('error' in fast && 'error' in slow && fast.error !== slow.error) return verdict('parseTick error differs');
  for (const [name, t] of [
    ['scanGeneral', general],
    ['scanTick', scanned],
  ] as const) {
    if (t === null) continue;
    if (!('tick' in slow)) return verdict(`${name} accepts what the general path rejects (${slow.error})`);
    if (!same(t, slow.tick)) return verdict(`${name} value differs`);
  }
  return verdict(null);
}

/**
 * Canonical messages from the simulator: all symbols of the default universe, several seeds, intraday and daily,
 * with and without an identity (`src`, `seq`).
 */
async function canonical(perRun: number): Promise<Buffer[]> {
  const symbols = selectSymbols(await loadUniverse());
  const out: Buffer[] = [];
  for (const [seed, daily, source] of [
    [1, false, undefined],
    [42, false, 'SE1-0a1b2c3d'],
    ['fuzz', false, undefined],
    [7, true, 'sim-ffeeddccbbaa9988'],
  ] as const) {
    const sim = new Simulator(symbols, { seed, start: START, tickIntervalMs: 250, daily, source });
    for (let i = 0; i < perRun && sim.next(); i++) out.push(Buffer.from(sim.encode()));
  }
  return out;
}

/** A message as fields of raw text (latin1 string: one char per byte, so invalid UTF-8 can be written). */
type Fields = [key: string, value: string][];

function fieldsOf(t: Tick): Fields {
  const fields: Fields = [
    ['"v"', '1'],
    ['"symbol"', JSON.stringify(t.symbol)],
    ['"exchange"', JSON.stringify(t.exchange)],
    ['"assetClass"', JSON.stringify(t.assetClass)],
    ['"ts"', String(t.ts)],
    ['"price"', String(t.price)],
    ['"size"', String(t.size)],
  ];
  if (t.src !== undefined) fields.splice(4, 0, ['"src"', JSON.stringify(t.src)]);
  if (t.seq !== undefined) fields.push(['"seq"', String(t.seq)]);
  return fields;
}

const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const LONG = '9'.repeat(400);
/** Replacement values per field, raw JSON text; `*` stands for the field's own value text. */
const VALUES: Record<string, string[]> = {
  '"v"': ['1', '1.0', '1e0', '01', '2', '-1', 'true', '"1"', '10', '1.', '0x1', 'null'],
  '"ts"': [
    '*',
    '0',
    '-0',
    '00',
    '0123',
    '*.0',
    '*e0',
    '*.5',
    '1.767225600123e12',
    '999999999999999',
    '1000000000000000',
    '9007199254740991',
    '9007199254740992',
    '9007199254740993',
    '123456789012345678901234567890',
    '1e400',
    '-1',
    '"*"',
    'null',
    '+1',
  ],
  '"price"': [
    '*',
    '0',
    '0.0',
    '-0',
    '-1.5',
    '1e2',
    '1E2',
    '1e-2',
    '*e0',
    '.5',
    '5.',
    '05',
    '00.5',
    '0.5',
    '1.50',
    '*0000',
    '*000000000001',
    '187.420000000000000001',
    '1e999',
    LONG,
    `${LONG}.5`,
    `0.${'0'.repeat(400)}1`,
    '0.000001',
    '0.1',
    '0.30000000000000004',
    '123456789012345.6',
    '12345678901234.56',
    '999999999999999',
    '9999999999999999',
    '9007199254740993',
    '2.2250738585072011e-308',
    '1.7976931348623157e308',
    '"1.5"',
    'NaN',
    'Infinity',
    '+1',
    '1..2',
    '1.2.3',
  ],
  '"size"': ['*', '0', '1', '-1', '*.0', '1e2', '9007199254740991', '9007199254740992', '007', '"*"', 'true'],
  '"seq"': ['*', '0', '1', '-1', '*.0', '*e0', '999999999999999', '9007199254740992', '01', '"*"', 'null'],
  '"src"': [
    '*',
    '""',
    '"a\\"q"',
    `"${'s'.repeat(SCAN_MAX_SRC)}"`,
    `"${'s'.repeat(SCAN_MAX_SRC + 1)}"`,
    `"${utf8('Börse')}"`,
    '"SE1\\u002d1"',
    '"x\x7f"',
    '7',
    'null',
  ],
  '"symbol"': [
    '*',
    '""',
    '"A\\u0041"',
    '"\\u0041APL"',
    `"${'A'.repeat(SCAN_MAX_STRING)}"`,
    `"${'A'.repeat(SCAN_MAX_STRING + 1)}"`,
    '"AA PL"',
    `"${utf8('É')}"`,
    '"BRK.B"',
    '"^GSPC"',
    '"a:b/c_d-e"',
    '"AAPL\\n"',
    '"AA\x01"',
    '"AA\\/PL"',
    'null',
    '123',
    '{"a":1}',
    '["AAPL"]',
    '"AA\xff"',
    '"AA\xc3"',
    '"AA\xc0\xaf"',
    '"AAPL',
  ],
  '"exchange"': [
    '*',
    '""',
    '"SE 1"',
    '"a\\"q"',
    '"\\\\"',
    `"${'x'.repeat(SCAN_MAX_STRING)}"`,
    `"${'x'.repeat(SCAN_MAX_STRING + 1)}"`,
    '"x\x7f"',
    `"${utf8('Börse')}"`,
    '"B\\u00f6rse"',
    '"a\tb"',
    '"~!@#$%&*()[]{}"',
    '"SE1\xfe"',
    '1',
  ],
  '"assetClass"': [
    ...ASSET_CLASSES.map((c) => `"${c}"`),
    '"Equity"',
    '"bond"',
    '"equit\\u0079"',
    '"equity "',
    '""',
    '"commodities"',
  ],
};
const EXTRAS = [
  '"x":1',
  '"note":"hi"',
  '"__proto__":{}',
  '"nested":{"a":[1,2]}',
  '"v2":null',
  '"":0',
  `"${utf8('é')}":true`,
];
const SPACES = [' ', '\t', '\n', '\r', '  \n\t', '\f', '\v', '\xa0'];
const BYTES = [...'"\\{}[],:0123456789.eE-+ \tu\x00\x7f\x80\xc3\xa9\xff'].map((c) => c.charCodeAt(0));

class Fuzz {
  constructor(private readonly rng: Rng) {}
  int(n: number): number {
    return this.rng.nextUint32() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.rng.uniform() < p;
  }
  /** Whitespace between tokens: mostly none, sometimes JSON whitespace, rarely something JSON does not allow. */
  ws(): string {
    if (!this.chance(0.15)) return '';
    return this.pick(SPACES.slice(0, this.chance(0.9) ? 5 : SPACES.length));
  }

  /** A structural variant: reorder, whitespace, replaced values, extras, duplicates, missing fields, wrappers. */
  render(t: Tick): Buffer {
    const fields = fieldsOf(t);
    if (this.chance(0.5)) fields.sort(() => this.int(3) - 1);
    for (const f of fields) {
      if (!this.chance(0.12)) continue;
      f[1] = this.pick(VALUES[f[0]]).replace('*', f[1]);
    }
    if (this.chance(0.08)) fields.splice(this.int(fields.length), 1);
    if (this.chance(0.08)) {
      const [k, v] = this.pick(fields);
      fields.splice(this.int(fields.length + 1), 0, [k, this.chance(0.5) ? v : this.pick(VALUES[k] ?? ['1'])]);
    }
    if (this.chance(0.1)) {
      const [k, v] = this.pick(EXTRAS).split(/:(.*)/s);
      fields.splice(this.int(fields.length + 1), 0, [k, v]);
    }
    if (this.chance(0.05)) fields[this.int(fields.length)][0] = '"\\u0076"'; // an escaped key
    const body = fields.map(([k, v]) => this.ws() + k + this.ws() + ':' + this.ws() + v + this.ws()).join(',');
    let text = `${this.ws()}{${body}}${this.ws()}`;
    if (this.chance(0.02)) text = this.pick(['\xef\xbb\xbf', '[', 'x', '{}']) + text;
    if (this.chance(0.02)) text += this.pick([']', 'x', ',', '{}', '\x00']);
    return Buffer.from(text, 'latin1');
  }

  /** A byte-level mutation: flips, insertions, deletions, truncation. */
  mutate(b: Buffer): Buffer {
    let bytes = [...b];
    const edits = 1 + this.int(3);
    for (let e = 0; e < edits; e++) {
      const at = this.int(bytes.length + 1);
      const byte = this.chance(0.7) ? this.pick(BYTES) : this.int(256);
      switch (this.int(5)) {
        case 0:
          bytes[Math.min(at, bytes.length - 1)] = byte;
          break;
        case 1:
          bytes[Math.min(at, bytes.length - 1)] ^= 1 << this.int(8);
          break;
        case 2:
          bytes.splice(at, 0, byte);
          break;
        case 3:
          bytes.splice(at, 1 + this.int(3));
          break;
        default:
          bytes = bytes.slice(0, at);
      }
    }
    return Buffer.from(bytes);
  }
}

describe('scanTick (the fast path of parseTick)', async () => {
  const messages = await canonical(1500);

  it('states the schema rules it restates', () => {
    expect(SCAN_ASSET_CLASSES).toEqual(ASSET_CLASSES);
    const p = tickSchema().properties;
    expect(p.symbol).toMatchObject({ pattern: SCAN_SYMBOL_PATTERN, minLength: 1, maxLength: SCAN_MAX_STRING });
    expect(p.exchange).toMatchObject({ minLength: 1, maxLength: SCAN_MAX_STRING });
    expect(p.src).toMatchObject({ minLength: 1, maxLength: SCAN_MAX_SRC });
    expect(p.seq).toMatchObject({ type: 'integer', minimum: 1 });
    expect(Object.keys(p)).toEqual(['v', 'symbol', 'exchange', 'assetClass', 'ts', 'price', 'size', 'src', 'seq']);
    expect(tickSchema().required).toEqual(['v', 'symbol', 'exchange', 'assetClass', 'ts', 'price', 'size']);
  });

  it('takes every canonical simulator message (all symbols, several seeds) and gives what JSON.parse gives', () => {
    const symbols = new Set<string>();
    const bad: string[] = [];
    for (const b of messages) {
      const expected = JSON.parse(b.toString('utf8'));
      symbols.add(expected.symbol);
      for (const t of [scanGeneral(b), scanTick(b), scanTick(b)]) {
        if (t === null || !same(t, expected)) bad.push(b.toString());
      }
      const r = parseTick(b);
      if (!('tick' in r) || !same(r.tick, expected)) bad.push(b.toString());
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(symbols.size).toBe(29);
    // the universe's crypto and forex prices carry decimals: the exact price conversion is exercised
    expect(messages.some((b) => /"price":\d+\.\d{4,}/.test(b.toString()))).toBe(true);
  });

  it('takes whitespace and other field orders; leaves extra fields, escapes and exponents to JSON.parse', () => {
    const taken = [
      ' {"v":1,"symbol":"AAPL","exchange":"SE1","assetClass":"equity","ts":1767225600123,"price":187.42,"size":300}\n',
      '{ "size" : 300 , "price" : 187.42 , "ts" : 1767225600123 , "assetClass" : "equity" , "exchange" : "SE1" , "symbol" : "AAPL" , "v" : 1 }',
      '{\r\n\t"v":1,\n\t"symbol":"BRK.B","exchange":"New York (NYSE)","assetClass":"index","ts":0,"price":0.00001,"size":1}',
      '{"v":1,"symbol":"AAPL","exchange":"SE1","assetClass":"equity","src":"SE1-0a1b2c3d","ts":1767225600123,"price":187.42,"size":300,"seq":12}',
      '{"seq":9007199254740,"src":"replay-x.csv-0123456789ab","v":1,"symbol":"AAPL","exchange":"SE1","assetClass":"equity","ts":1,"price":1,"size":1}',
      '{"v":1,"symbol":"AAPL","exchange":"SE1","assetClass":"equity","ts":1767225600123,"price":187.42,"size":300,"seq":1}',
    ];
    for (const s of taken) expect(scanTick(Buffer.from(s)), s).toEqual(JSON.parse(s));
    const left = [
      '{"v":1,"symbol":"AAPL","exchange":"SE1","assetClass":"equity","ts":1767225600123,"price":187.42,"size":300,"x":1}',
      '{"v":1,"symbol":"\\u0041APL","exchange":"SE1","assetClass":"equity","ts":1767225600123,"price":187.42,"size":300}',
      '{"v":1,"symbol":"AAPL","exchange":"SE1","assetClass":"equity","ts":1767225600123,"price":1.8742e2,"size":300}',
      '{"v":1.0,"symbol":"AAPL","exchange":"SE1","assetClass":"equity","ts":1767225600123,"price":187.42,"size":300}',
      '{"v":1,"symbol":"AAPL","exchange":"Börse","assetClass":"equity","ts":1767225600123,"price":187.42,"size":300}',
      '{"v":1,"symbol":"AAPL","exchange":"SE1","assetClass":"equity","ts":9007199254740991,"price":187.42,"size":300}',
      '{"v":1,"v":1,"symbol":"AAPL","exchange":"SE1","assetClass":"equity","ts":1767225600123,"price":187.42,"size":300}',
      '{"v":1,"symbol":"AAPL","exchange":"SE1","assetClass":"equity","ts":1767225600123,"price":187.42,"size":300,"seq":1e0}',
      '{"v":1,"symbol":"AAPL","exchange":"SE1","assetClass":"equity","src":"S\\u0045","ts":1,"price":1,"size":1,"seq":2}',
    ];
    for (const s of left) {
      expect(scanTick(Buffer.from(s)), s).toBeNull();
      expect(parseTick(Buffer.from(s)), s).toEqual({ tick: JSON.parse(s) }); // still valid, decided by JSON.parse
    }
    const extra = parseTick(Buffer.from(left[0]));
    expect('tick' in extra && (extra.tick as Tick & { x?: number }).x).toBe(1); // extra fields kept, as documented
  });

  it('agrees with JSON.parse + the schema on 36,000 mutated messages', () => {
    const fuzz = new Fuzz(new Rng(20261121));
    const failures: { why: string; input: string }[] = [];
    let inputs = 0;
    let scanned = 0;
    let slowOnly = 0;
    const check = (b: Buffer) => {
      inputs++;
      const v = judge(b);
      if (v.why !== null && failures.length < 10) failures.push({ why: v.why, input: b.toString('latin1') });
      if (v.scanned) scanned++;
      else if (v.valid) slowOnly++;
    };
    for (let r = 0; r < 3; r++) {
      for (const b of messages) {
        check(fuzz.render(JSON.parse(b.toString()) as Tick));
        check(fuzz.mutate(b));
      }
    }
    expect(failures).toEqual([]);
    expect(inputs).toBe(6 * messages.length);
    // both sides of the split are exercised: variants the scanner takes, valid ones only JSON.parse takes
    expect(scanned).toBeGreaterThan(inputs / 10);
    expect(slowOnly).toBeGreaterThan(inputs / 100);
  });

  it('keeps symbols apart that share a slot of its caches (many same-length symbols, interleaved)', () => {
    // the scanner caches message heads and strings in fixed tables keyed by a hash of the symbol; with 29 cached
    // symbols and thousands of random same-length ones, some share a slot, and each must still read as itself
    const rng = new Rng(99);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-';
    const bad: string[] = [];
    for (let i = 0; i < 12_000; i++) {
      const b = messages[i % messages.length];
      const text = b.toString();
      const symbol = (JSON.parse(text) as Tick).symbol;
      let other = '';
      for (let j = 0; j < symbol.length; j++) other += alphabet[rng.nextUint32() % alphabet.length];
      for (const s of [text, text.replace(`"symbol":"${symbol}"`, `"symbol":"${other}"`)]) {
        const t = scanTick(Buffer.from(s));
        if (t === null || !same(t, JSON.parse(s))) bad.push(s);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('converts decimal prices exactly as JSON.parse does (short and long, up to 25 digits)', () => {
    const rng = new Rng(7);
    const bad: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const intDigits = 1 + (rng.nextUint32() % 12);
      const fracDigits = rng.nextUint32() % 14;
      let s = String(1 + (rng.nextUint32() % 9));
      for (let d = 1; d < intDigits; d++) s += String(rng.nextUint32() % 10);
      if (rng.uniform() < 0.3) s = '0';
      if (fracDigits > 0) {
        s += '.';
        for (let d = 0; d < fracDigits; d++) s += String(rng.nextUint32() % 10);
      }
      const text = `{"v":1,"symbol":"X","exchange":"E","assetClass":"forex","ts":1,"price":${s},"size":1}`;
      const want = JSON.parse(text).price;
      const got = scanGeneral(Buffer.from(text));
      if (want > 0 ? got === null || !Object.is(got.price, want) : got !== null) bad.push(s);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });
});
