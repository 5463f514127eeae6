/**
 * The processor's fast path for tick messages: a byte scanner for plain tick JSON, tried before `JSON.parse`.
 *
 * `scanTick` reads one message value and returns the tick, or null when the bytes are anything but a plain tick
 * object: exactly the seven required contract fields plus, optionally, `src` and `seq` (any order, JSON whitespace
 * allowed), strings of printable ASCII without escapes, `v` the digit 1, `ts`, `size` and `seq` plain integers of at
 * most 15 digits (so exact), `price` a plain decimal without sign or exponent, and every value valid for the schema. Null means "not decided here", never "invalid":
 * `parseTick` then takes the general path (`JSON.parse` and the schema), which accepts or rejects with a reason.
 * Extra fields, escapes, non-ASCII, exponents, `-0`, `1.0`, duplicate keys, nested values, bad values: all null.
 *
 * The contract (checked by contracts/test/tick-scan.test.ts): whenever this returns a tick, `JSON.parse` plus
 * `tickProblem` accepts the same bytes and yields a deep-equal object, every number identical bit for bit.
 * Prices: a decimal of at most 15 digits is m / 10^k with m < 2^53 and k <= 15, both exact doubles, so the one
 * IEEE division is the correctly rounded value of the decimal — what `JSON.parse` returns (Clinger's fast path);
 * longer decimals go through `Number()` of the text, which rounds the same way.
 *
 * Two caches keep the common case cheap, both fixed tables keyed by a hash of the bytes, confirmed byte by byte, and
 * bounded (a collision replaces an entry): the heads of canonical messages (`{"v":1,"symbol":"AAPL",...,"ts":`,
 * remembered once the general scan has read one), so a canonical message costs one comparison plus three numbers;
 * and the symbol, exchange and src strings the general scan meets, so the few distinct values are not allocated
 * again per message. A canonical head includes `"src":"...",` when the message has one (it precedes `ts`), and a
 * canonical tail may end with `,"seq":N`.
 *
 * The rules for symbol and assetClass are restated here (this file must not import tick.ts, which imports it);
 * tick-scan.test.ts checks them against the schema.
 */
import type { Tick } from './tick.js';

/** Asset classes, as in tick.ts `ASSET_CLASSES`. */
export const SCAN_ASSET_CLASSES = ['equity', 'crypto', 'forex', 'index', 'commodity'] as const;
/** The symbol's schema rule, as in tick.ts (`pattern`, `minLength` 1, `maxLength`). */
export const SCAN_SYMBOL_PATTERN = '^[A-Za-z0-9._:/^-]+$';
export const SCAN_MAX_STRING = 32;
/** The longest `src` (as in tick.ts). */
export const SCAN_MAX_SRC = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const SYMBOL_CHAR = 1;
const TEXT_CHAR = 2;
/** Per byte: SYMBOL_CHAR = may appear in a symbol; TEXT_CHAR = may appear unescaped in an exchange (printable
 * ASCII but `"` and `\`). */
const CHAR = new Uint8Array(256);
const symbolRule = new RegExp(SCAN_SYMBOL_PATTERN);
for (let c = 0x20; c < 0x7f; c++) {
  if (c !== QUOTE && c !== BACKSLASH) CHAR[c] = TEXT_CHAR;
  if (symbolRule.test(String.fromCharCode(c))) CHAR[c] |= SYMBOL_CHAR;
}

/** JSON whitespace: space, tab, line feed, carriage return. */
const WS = new Uint8Array(256);
WS[0x20] = WS[0x09] = WS[0x0a] = WS[0x0d] = 1;

/** 10^k, exact as doubles for k <= 22. */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
/** Most digits accumulated in a double while it stays an exact integer (10^15 < 2^53). */
const MAX_DIGITS = 15;

// Field bits, in contract order.
const F_V = 1;
const F_SYMBOL = 2;
const F_EXCHANGE = 4;
const F_ASSET = 8;
const F_TS = 16;
const F_PRICE = 32;
const F_SIZE = 64;
/** The seven required fields. */
const F_ALL = 127;
const F_SRC = 128;
const F_SEQ = 256;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Interned strings: a direct-mapped table, slot = hash of the bytes; '' marks an empty slot (no value is empty). */
const SLOTS = 4096;
const interned: string[] = new Array<string>(SLOTS).fill('');

/** Table slot of bytes of this FNV-1a hash and length. */
function slotOf(hash: number, length: number): number {
  return (hash ^ (hash >>> 10) ^ length) & (SLOTS - 1);
}

function intern(b: Buffer, start: number, end: number, hash: number): string {
  const s = interned[slotOf(hash, end - start)];
  const n = end - start;
  if (s.length === n) {
    let j = 0;
    while (j < n && s.charCodeAt(j) === b[start + j]) j++;
    if (j === n) return s;
  }
  const fresh = b.toString('latin1', start, end);
  interned[slotOf(hash, n)] = fresh;
  return fresh;
}

/** The asset class literal the bytes spell, or null. */
function assetClassAt(b: Buffer, start: number, end: number): Tick['assetClass'] | null {
  const n = end - start;
  for (const c of SCAN_ASSET_CLASSES) {
    if (c.length !== n) continue;
    let j = 0;
    while (j < n && c.charCodeAt(j) === b[start + j]) j++;
    if (j === n) return c;
  }
  return null;
}

/** Whether bytes start..start+lit.length spell `lit` (ASCII). */
function spells(b: Buffer, start: number, lit: string): boolean {
  for (let j = 0; j < lit.length; j++) if (b[start + j] !== lit.charCodeAt(j)) return false;
  return true;
}

/** Which field a key names (bytes start..end, no quotes), as its bit; 0 for any other key. */
function fieldOf(b: Buffer, start: number, end: number): number {
  switch (end - start) {
    case 1:
      return b[start] === 0x76 ? F_V : 0;
    case 2:
      return b[start] === 0x74 && b[start + 1] === 0x73 ? F_TS : 0;
    case 3:
      return spells(b, start, 'src') ? F_SRC : spells(b, start, 'seq') ? F_SEQ : 0;
    case 4:
      return spells(b, start, 'size') ? F_SIZE : 0;
    case 5:
      return spells(b, start, 'price') ? F_PRICE : 0;
    case 6:
      return spells(b, start, 'symbol') ? F_SYMBOL : 0;
    case 8:
      return spells(b, start, 'exchange') ? F_EXCHANGE : 0;
    case 10:
      return spells(b, start, 'assetClass') ? F_ASSET : 0;
    default:
      return 0;
  }
}

/** Position after the last number `readInt` or `readPrice` read (module state: the scanner never re-enters). */
let at = 0;

/** A JSON integer without sign at i (0, or digits without a leading zero), at most 15 digits so exact; else -1. */
function readInt(b: Buffer, i: number, n: number): number {
  const start = i;
  let v = 0;
  for (; i < n; i++) {
    const c = b[i];
    if (c < ZERO || c > NINE) break;
    v = v * 10 + (c - ZERO);
  }
  const digits = i - start;
  if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && b[start] === ZERO)) return -1;
  at = i;
  return v;
}

/**
 * A JSON number without sign or exponent at i (int part 0 or without a leading zero, optional `.digits`) whose value
 * is > 0 and finite; else -1.
 */
function readPrice(b: Buffer, i: number, n: number): number {
  const start = i;
  let m = 0;
  for (; i < n; i++) {
    const c = b[i];
    if (c < ZERO || c > NINE) break;
    m = m * 10 + (c - ZERO);
  }
  const intDigits = i - start;
  if (intDigits === 0 || (intDigits > 1 && b[start] === ZERO)) return -1;
  let frac = 0;
  if (i < n && b[i] === DOT) {
    i++;
    const fracStart = i;
    for (; i < n; i++) {
      const c = b[i];
      if (c < ZERO || c > NINE) break;
      m = m * 10 + (c - ZERO);
    }
    frac = i - fracStart;
    if (frac === 0) return -1;
  }
  // exact as m / 10^frac while m has at most 15 digits; else let Number() round the text, as JSON.parse does
  const price = intDigits + frac <= MAX_DIGITS ? m / POW10[frac] : Number(b.toString('latin1', start, i));
  if (!(price > 0 && price < Number.POSITIVE_INFINITY)) return -1; // the schema: > 0 and finite
  at = i;
  return price;
}

/** Whether `b` holds `lit` at i. */
function has(b: Buffer, i: number, lit: Uint8Array): boolean {
  if (i + lit.length > b.length) return false;
  for (let j = 0; j < lit.length; j++) if (b[i + j] !== lit[j]) return false;
  return true;
}

/**
 * The head of a canonical message, `{"v":1,"symbol":"AAPL","exchange":"SE1","assetClass":"equity","ts":`, once the
 * general scan has read a message that starts with it, at the slot of the symbol bytes or its neighbour.
 */
interface Head {
  bytes: Uint8Array;
  symbol: string;
  exchange: string;
  assetClass: Tick['assetClass'];
  src: string | undefined;
}
const heads: (Head | null)[] = new Array<Head | null>(SLOTS).fill(null);
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const OPENING = ascii('{"v":1,"symbol":"');
const PRICE_KEY = ascii(',"price":');
const SIZE_KEY = ascii(',"size":');
const SEQ_KEY = ascii(',"seq":');

/** FNV-1a of bytes start..end. */
function fnv(b: Uint8Array, start: number, end: number): number {
  let hash = FNV_OFFSET;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ b[i], FNV_PRIME);
  return hash;
}

/** Whether `b` starts with `head` (its OPENING already checked). */
function startsWithHead(b: Buffer, head: Uint8Array): boolean {
  const len = head.length;
  if (b.length < len) return false;
  for (let j = OPENING.length; j < len; j++) if (b[j] !== head[j]) return false;
  return true;
}

/** Canonical messages whose head is known: compare the head's bytes, read the three numbers. Else null. */
function scanCanonical(b: Buffer): Tick | null {
  const n = b.length;
  if (!has(b, 0, OPENING)) return null;
  // the symbol: only hashed here to find the head; the comparison with the head's bytes checks it
  const stop = Math.min(n, OPENING.length + SCAN_MAX_STRING + 1);
  let hash = FNV_OFFSET;
  let i = OPENING.length;
  for (; i < stop; i++) {
    const c = b[i];
    if (c === QUOTE) break;
    hash = Math.imul(hash ^ c, FNV_PRIME);
  }
  const slot = slotOf(hash, i - OPENING.length);
  let head = heads[slot];
  if (head === null || !startsWithHead(b, head.bytes)) {
    head = heads[slot ^ 1];
    if (head === null || !startsWithHead(b, head.bytes)) return null;
  }
  const len = head.bytes.length;
  const ts = readInt(b, len, n);
  if (ts < 0 || !has(b, at, PRICE_KEY)) return null;
  const price = readPrice(b, at + PRICE_KEY.length, n);
  if (price < 0 || !has(b, at, SIZE_KEY)) return null;
  const size = readInt(b, at + SIZE_KEY.length, n);
  if (size < 1) return null;
  let seq = 0;
  if (at + 1 !== n) {
    if (!has(b, at, SEQ_KEY)) return null;
    seq = readInt(b, at + SEQ_KEY.length, n);
    if (seq < 1 || at + 1 !== n) return null;
  }
  if (b[at] !== CLOSE) return null;
  return tick(head.symbol, head.exchange, head.assetClass, ts, price, size, head.src, seq);
}

/** The tick object, its optional fields present only when the message has them (as JSON.parse gives them). */
function tick(
  symbol: string,
  exchange: string,
  assetClass: Tick['assetClass'],
  ts: number,
  price: number,
  size: number,
  src: string | undefined,
  seq: number,
): Tick {
  const t: Tick = { v: 1, symbol, exchange, assetClass, ts, price, size };
  if (src !== undefined) t.src = src;
  if (seq > 0) t.seq = seq;
  return t;
}

/** After the general scan accepted `b` as `t`: when `b` starts with the canonical head of `t`, remember the head. */
function rememberHead(b: Buffer, t: Tick): void {
  if (!has(b, 0, OPENING)) return;
  const slot = slotOf(fnv(b, OPENING.length, OPENING.length + t.symbol.length), t.symbol.length);
  const first = heads[slot];
  const second = heads[slot ^ 1];
  // known already (the message's tail was not canonical, e.g. whitespace)
  if ((first !== null && startsWithHead(b, first.bytes)) || (second !== null && startsWithHead(b, second.bytes)))
    return;
  const src = t.src === undefined ? '' : `"src":"${t.src}",`;
  const bytes = ascii(
    `{"v":1,"symbol":"${t.symbol}","exchange":"${t.exchange}","assetClass":"${t.assetClass}",${src}"ts":`,
  );
  if (!has(b, 0, bytes)) return;
  // two ways per slot (the slot and its neighbour), so that two symbols of one slot do not push each other out
  heads[first === null ? slot : slot ^ 1] = {
    bytes,
    symbol: t.symbol,
    exchange: t.exchange,
    assetClass: t.assetClass,
    src: t.src,
  };
}

/**
 * The tick in `b` when it is a plain tick message (see the file comment), else null: then only `JSON.parse` and the
 * schema can decide.
 */
export function scanTick(b: Buffer): Tick | null {
  const t = scanCanonical(b);
  if (t !== null) return t;
  const g = scanGeneral(b);
  if (g !== null) rememberHead(b, g);
  return g;
}

/**
 * Any plain tick message: the seven fields and optionally `src` and `seq`, in any order, JSON whitespace between
 * tokens (exported for tests).
 */
export function scanGeneral(b: Buffer): Tick | null {
  const n = b.length;
  let i = 0;
  while (i < n && WS[b[i]] === 1) i++;
  if (i >= n || b[i] !== OPEN) return null;
  i++;
  let seen = 0;
  let symbol = '';
  let exchange = '';
  let assetClass: Tick['assetClass'] | null = null;
  let ts = 0;
  let price = 0;
  let size = 0;
  let src: string | undefined;
  let seq = 0;
  for (;;) {
    while (i < n && WS[b[i]] === 1) i++;
    if (i >= n || b[i] !== QUOTE) return null;
    const keyStart = ++i;
    while (i < n && CHAR[b[i]] === TEXT_CHAR + SYMBOL_CHAR) i++; // every key of the contract is letters
    if (i >= n || b[i] !== QUOTE) return null;
    const field = fieldOf(b, keyStart, i);
    if (field === 0 || (seen & field) !== 0) return null; // another key, or a duplicate
    seen |= field;
    i++;
    while (i < n && WS[b[i]] === 1) i++;
    if (i >= n || b[i] !== COLON) return null;
    i++;
    while (i < n && WS[b[i]] === 1) i++;
    if (i >= n) return null;
    switch (field) {
      case F_V:
        if (b[i] !== 0x31) return null; // the token must be `1`: what follows is checked below
        i++;
        break;
      case F_SYMBOL:
      case F_EXCHANGE:
      case F_SRC: {
        if (b[i] !== QUOTE) return null;
        const start = ++i;
        const need = field === F_SYMBOL ? SYMBOL_CHAR : TEXT_CHAR;
        let hash = FNV_OFFSET;
        for (; i < n; i++) {
          const c = b[i];
          if ((CHAR[c] & need) === 0) break;
          hash = Math.imul(hash ^ c, FNV_PRIME);
        }
        if (i >= n || b[i] !== QUOTE || i === start) return null;
        if (i - start > (field === F_SRC ? SCAN_MAX_SRC : SCAN_MAX_STRING)) return null;
        if (field === F_SYMBOL) symbol = intern(b, start, i, hash);
        else if (field === F_EXCHANGE) exchange = intern(b, start, i, hash);
        else src = intern(b, start, i, hash);
        i++;
        break;
      }
      case F_ASSET: {
        if (b[i] !== QUOTE) return null;
        const start = ++i;
        while (i < n && CHAR[b[i]] === TEXT_CHAR + SYMBOL_CHAR) i++;
        if (i >= n || b[i] !== QUOTE) return null;
        assetClass = assetClassAt(b, start, i);
        if (assetClass === null) return null;
        i++;
        break;
      }
      case F_TS:
        ts = readInt(b, i, n);
        if (ts < 0) return null;
        i = at;
        break;
      case F_SIZE:
        size = readInt(b, i, n);
        if (size < 1) return null; // size >= 1
        i = at;
        break;
      case F_SEQ:
        seq = readInt(b, i, n);
        if (seq < 1) return null; // seq >= 1
        i = at;
        break;
      default:
        price = readPrice(b, i, n);
        if (price < 0) return null;
        i = at;
    }
    // after a value: whitespace, then `,` or `}`; anything else (`10`, `1.5`, `1e2`, ...) is not for this path
    while (i < n && WS[b[i]] === 1) i++;
    if (i >= n) return null;
    const c = b[i++];
    if (c === CLOSE) break;
    if (c !== COMMA) return null;
  }
  while (i < n && WS[b[i]] === 1) i++;
  if (i !== n || (seen & F_ALL) !== F_ALL || assetClass === null) return null;
  return tick(symbol, exchange, assetClass, ts, price, size, src, seq);
}
