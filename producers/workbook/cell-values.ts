/**
 * Reading one cell as the value a column wants (docs/retail.md, "Values"): text, a decimal with a fixed number of
 * decimals, a whole number, a date or a timestamp. Each returns `{ value }` or `{ rule, reason }` — the rule's id and
 * the words that follow the value in the error (`quantity "-3" must be a positive number`).
 *
 * Numbers: numeric cells as stored; text cells ("numbers stored as text") with an optional currency sign, spaces,
 * apostrophes or thin spaces as thousands separators, and `.` or `,` as the decimal point (when both appear, the
 * last one is the decimal point). A double's noise (`12.300000000000001`) rounds to the column's decimals; a real
 * extra decimal (`12.345` for a price) is an error, never silently rounded.
 *
 * Dates: date cells (1900 and 1904 workbooks, decoded by the reader), bare serial numbers (decoded here with the
 * workbook's date system), and text: `2026-03-05`, `2026/03/05`, `2026-03-05 14:30[:00]` (UTC, or with `Z`/`±hh:mm`),
 * and day-first `05/03/2026`, `05.03.2026`, `05-03-2026`.
 */
import { type Cell, cellText, isEmptyCell, NumberCell } from './sheet-grid.js';

export type Parsed<T> = { value: T } | { rule: string; reason: string };

const MS_PER_DAY = 86_400_000;
/** 1970-01-01 as an Excel serial of the 1900 system; the 1904 system is 1,462 days behind. */
const EPOCH_1900 = 25_569;
const OFFSET_1904 = 1_462;

/** Text of a cell, trimmed; null when empty. */
export function textValue(c: Cell): string | null {
  if (isEmptyCell(c)) return null;
  return cellText(c).trim();
}

/** The cell's number as a JavaScript double and the text it came from; undefined when it is not a number. */
function numberOf(c: Cell): number | undefined {
  if (c instanceof NumberCell) {
    const n = Number(c.text);
    return Number.isFinite(n) ? n : undefined;
  }
  if (typeof c !== 'string') return undefined;
  let s = c.trim().replace(/^[€$£¥]\s*|\s*[€$£¥]$/g, '');
  s = s.replace(/^([+-])\s+/, '$1').replace(/[\s\u00a0\u202f']/g, '');
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  if (lastDot >= 0 && lastComma >= 0) {
    s = lastComma > lastDot ? s.replaceAll('.', '').replace(',', '.') : s.replaceAll(',', '');
  } else if (lastComma >= 0) {
    s = s.indexOf(',') === lastComma ? s.replace(',', '.') : s.replaceAll(',', '');
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/**
 * A decimal with at most `scale` decimals and fewer than `digits` digits before the point, as exact text
 * (`"12.50"`). `min`: `positive` (> 0), `not-negative` (≥ 0) or `any`.
 */
export function decimalValue(
  c: Cell,
  scale: number,
  opts: { min: 'positive' | 'not-negative' | 'any'; intDigits: number },
): Parsed<string> {
  const n = numberOf(c);
  if (n === undefined) return { rule: 'number', reason: 'is not a number' };
  const f = 10 ** scale;
  const r = Math.round(n * f) / f;
  if (Math.abs(n - r) > 1e-9 * Math.max(1, Math.abs(n))) {
    return { rule: 'decimals', reason: `has more than ${scale} decimal${scale === 1 ? '' : 's'}` };
  }
  if (Math.abs(r) >= 10 ** opts.intDigits) return { rule: 'too-large', reason: 'is too large' };
  if (opts.min === 'positive' && r <= 0) return { rule: 'positive', reason: 'must be a positive number' };
  if (opts.min === 'not-negative' && r < 0) return { rule: 'not-negative', reason: 'must not be negative' };
  return { value: (r === 0 ? 0 : r).toFixed(scale) };
}

/** A whole number ≥ 1 (a line number). */
export function lineNumberValue(c: Cell): Parsed<number> {
  const n = numberOf(c);
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > 2_147_483_647) {
    return { rule: 'whole-number', reason: 'must be a whole number of at least 1' };
  }
  return { value: n };
}

/** Epoch ms of an Excel serial day number in the workbook's date system. */
export function excelSerialToMs(serial: number, date1904: boolean): number {
  const days = date1904
    ? serial + OFFSET_1904 - EPOCH_1900
    : serial < 61
      ? serial - EPOCH_1900 + 1
      : serial - EPOCH_1900;
  return Math.round(days * MS_PER_DAY);
}

const ISO_RE =
  /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const DAY_FIRST_RE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number | undefined {
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  if (h > 23 || mi > 59 || s > 59) return undefined;
  return t;
}

/** Epoch ms of a date or date-time written as text; undefined when it is not one. */
export function parseDateText(text: string): number | undefined {
  const s = text.trim();
  let m = ISO_RE.exec(s);
  if (m) {
    const frac = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
    const t = utc(+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), frac);
    if (t === undefined) return undefined;
    const z = m[8];
    if (!z || z.toUpperCase() === 'Z') return t;
    const sign = z[0] === '-' ? -1 : 1;
    const hh = Number(z.slice(1, 3));
    const mm = Number(z.slice(-2));
    return t - sign * (hh * 60 + mm) * 60_000;
  }
  m = DAY_FIRST_RE.exec(s);
  if (m) return utc(+m[3], +m[2], +m[1], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  return undefined;
}

/** Epoch ms of a date cell in any accepted form. */
function timeOf(c: Cell, date1904: boolean): number | undefined {
  if (c instanceof Date) return Number.isNaN(c.getTime()) ? undefined : c.getTime();
  if (c instanceof NumberCell) {
    const n = Number(c.text);
    // a bare serial: 1 = 1900-01-01 (or 1904-01-02) up to 9999-12-31
    return Number.isFinite(n) && n >= 1 && n < 2_958_466 ? excelSerialToMs(n, date1904) : undefined;
  }
  if (typeof c === 'string') return parseDateText(c);
  return undefined;
}

const DATE_RULE = { rule: 'date', reason: 'is not a date (write 2026-03-05 or 05/03/2026, day first)' };

/** A calendar date as `YYYY-MM-DD` (a time of day, if any, is dropped). */
export function dateValue(c: Cell, date1904: boolean): Parsed<string> {
  const t = timeOf(c, date1904);
  if (t === undefined) return DATE_RULE;
  return { value: new Date(t).toISOString().slice(0, 10) };
}

/** A date and time, UTC, as ISO-8601 text with `Z`. */
export function timestampValue(c: Cell, date1904: boolean): Parsed<string> {
  const t = timeOf(c, date1904);
  if (t === undefined) return DATE_RULE;
  return { value: new Date(t).toISOString() };
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function emailValue(c: Cell): Parsed<string> {
  const t = textValue(c) as string;
  return EMAIL_RE.test(t) ? { value: t } : { rule: 'email', reason: 'is not an e-mail address' };
}
