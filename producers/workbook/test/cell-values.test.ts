/**
 * Reading single cells: numbers stored as numbers or as text (currency signs, thousands separators, decimal commas,
 * a double's noise), the decimals and sign rules, and dates in every accepted form — Excel serial numbers in the
 * 1900 and 1904 systems checked against dates worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import {
  dateValue,
  decimalValue,
  excelSerialToMs,
  lineNumberValue,
  parseDateText,
  timestampValue,
} from '../cell-values.js';
import { NumberCell } from '../sheet-grid.js';

const money = (c: string | NumberCell) => decimalValue(c, 2, { min: 'not-negative', intDigits: 10 });
const qty = (c: string | NumberCell) => decimalValue(c, 3, { min: 'positive', intDigits: 9 });

describe('numbers', () => {
  it('numeric cells keep their digits; a double’s noise rounds to the column’s decimals', () => {
    expect(money(new NumberCell('12.5'))).toEqual({ value: '12.50' });
    expect(money(new NumberCell('12.300000000000001'))).toEqual({ value: '12.30' });
    expect(money(new NumberCell('2.2000000000000002'))).toEqual({ value: '2.20' });
    expect(money(new NumberCell('1.5E-1'))).toEqual({ value: '0.15' });
  });

  it('numbers stored as text: currency, spaces, apostrophes, decimal commas', () => {
    expect(money('0,80')).toEqual({ value: '0.80' });
    expect(money('€ 1 234,50')).toEqual({ value: '1234.50' });
    expect(money("1'234.5")).toEqual({ value: '1234.50' });
    expect(money('1.234,56')).toEqual({ value: '1234.56' });
    expect(money('1,234.56')).toEqual({ value: '1234.56' });
    expect(money('12 $')).toEqual({ value: '12.00' });
    expect(qty(' 40 ')).toEqual({ value: '40.000' });
  });

  it('refuses what is not a number, extra decimals, a sign the column forbids, too large values', () => {
    expect(money('abc')).toEqual({ rule: 'number', reason: 'is not a number' });
    expect(money('12.345')).toEqual({ rule: 'decimals', reason: 'has more than 2 decimals' });
    expect(money('-1')).toEqual({ rule: 'not-negative', reason: 'must not be negative' });
    expect(qty('-3')).toEqual({ rule: 'positive', reason: 'must be a positive number' });
    expect(qty('0')).toEqual({ rule: 'positive', reason: 'must be a positive number' });
    expect(money('12345678901')).toEqual({ rule: 'too-large', reason: 'is too large' });
    expect(decimalValue('-4', 3, { min: 'any', intDigits: 9 })).toEqual({ value: '-4.000' });
  });

  it('line numbers are whole numbers from 1', () => {
    expect(lineNumberValue(new NumberCell('3'))).toEqual({ value: 3 });
    expect(lineNumberValue('2')).toEqual({ value: 2 });
    for (const bad of ['0', '1.5', 'x', '-1']) expect(lineNumberValue(bad)).toHaveProperty('rule', 'whole-number');
  });
});

describe('dates', () => {
  it('Excel serials: 1900 system (45292 = 2024-01-01, 61 = 1900-03-01, 1 = 1900-01-01), 1904 system (0 days later = 1904-01-01)', () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    // 2024-01-01 is 45,292 days after 1899-12-30 (Excel counts the fictitious 1900-02-29)
    expect(iso(excelSerialToMs(45292, false))).toBe('2024-01-01T00:00:00.000Z');
    expect(iso(excelSerialToMs(61, false))).toBe('1900-03-01T00:00:00.000Z');
    expect(iso(excelSerialToMs(1, false))).toBe('1900-01-01T00:00:00.000Z');
    // in the 1904 system the same day is 1,462 lower
    expect(iso(excelSerialToMs(45292 - 1462, true))).toBe('2024-01-01T00:00:00.000Z');
    expect(iso(excelSerialToMs(1.5, true))).toBe('1904-01-02T12:00:00.000Z');
  });

  it('a bare serial number in a date column is read in the workbook’s date system', () => {
    expect(dateValue(new NumberCell('46037'), false)).toEqual({ value: '2026-01-15' });
    expect(dateValue(new NumberCell(String(46037 - 1462)), true)).toEqual({ value: '2026-01-15' });
  });

  it('date cells (Dates), ISO text, day-first text; a time of day is dropped from a date', () => {
    expect(dateValue(new Date(Date.UTC(2026, 0, 15)), false)).toEqual({ value: '2026-01-15' });
    expect(dateValue('2026-01-15', false)).toEqual({ value: '2026-01-15' });
    expect(dateValue('2026/1/5', false)).toEqual({ value: '2026-01-05' });
    expect(dateValue('15/01/2026', false)).toEqual({ value: '2026-01-15' });
    expect(dateValue('15.01.2026', false)).toEqual({ value: '2026-01-15' });
    expect(dateValue('2026-01-15 23:30', false)).toEqual({ value: '2026-01-15' });
    expect(timestampValue('2026-01-15 10:30', false)).toEqual({ value: '2026-01-15T10:30:00.000Z' });
    expect(timestampValue('2026-01-15T10:30:00+02:00', false)).toEqual({ value: '2026-01-15T08:30:00.000Z' });
  });

  it('refuses impossible dates and text that is not a date', () => {
    for (const bad of ['31/02/2026', '2026-13-01', 'soon', '2026-02-29', '12/2026']) {
      expect(dateValue(bad, false)).toHaveProperty('rule', 'date');
    }
    expect(parseDateText('2028-02-29')).toBe(Date.UTC(2028, 1, 29));
  });
});
