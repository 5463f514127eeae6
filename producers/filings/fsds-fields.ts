/**
 * FSDS field values → the JSON values the declared sources take (sql/sources/filing_*.sql): yyyymmdd dates to ISO
 * dates, the SEC's acceptance times (`2009-07-15 16:16:00.0`) to ISO timestamps, 0/1 flags to booleans, numbers
 * checked and kept as text (exact: the engine casts text to the column's type through its text). A value that
 * does not fit throws a FieldError naming the column and the value; the caller reports it with file:line.
 */

export type FieldType = 'text' | 'int' | 'decimal' | 'date' | 'timestamp' | 'flag' | 'double';

export interface FieldSpec {
  /** Column name in the FSDS file and in the source. */
  name: string;
  type: FieldType;
  /** An empty field is an error (otherwise it is null, or '' for `keyText`). */
  required?: boolean;
  /** An empty field is the empty string, not null (key columns such as coreg and segments). */
  keyText?: boolean;
}

export class FieldError extends Error {}

const DECIMAL = /^-?\d{1,24}(\.\d{1,4})?$/;
const INT = /^-?\d{1,18}$/;

function check(ok: boolean, spec: FieldSpec, raw: string, what: string): void {
  if (!ok) throw new FieldError(`field ${spec.name} ${JSON.stringify(raw)} is not ${what}`);
}

export function convertField(spec: FieldSpec, raw: string | undefined): string | number | boolean | null {
  const v = (raw ?? '').trim();
  if (v === '') {
    if (spec.required) throw new FieldError(`field ${spec.name} is empty`);
    return spec.keyText ? '' : null;
  }
  switch (spec.type) {
    case 'text':
      return v;
    case 'int':
      check(INT.test(v), spec, v, 'a whole number');
      return Number(v);
    case 'decimal': {
      // FSDS writes 4 decimals; trailing zeros beyond them carry nothing
      const trimmed = v.includes('.') ? v.replace(/0+$/, '').replace(/\.$/, '') : v;
      check(DECIMAL.test(trimmed), spec, v, 'a number of at most 24 digits and 4 decimals');
      return trimmed;
    }
    case 'double':
      check(v !== '' && Number.isFinite(Number(v)), spec, v, 'a number');
      return Number(v);
    case 'date': {
      const m = /^(\d{4})(\d{2})(\d{2})$/.exec(v) ?? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
      check(m !== null && validDate(m), spec, v, 'a date (yyyymmdd)');
      return `${m![1]}-${m![2]}-${m![3]}`;
    }
    case 'timestamp': {
      const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/.exec(v);
      check(m !== null && validDate(m), spec, v, 'a time (yyyy-mm-dd hh:mm:ss.f)');
      return `${m![1]}-${m![2]}-${m![3]}T${m![4]}:${m![5]}:${m![6]}${m![7] ?? ''}`;
    }
    case 'flag':
      check(v === '0' || v === '1', spec, v, '0 or 1');
      return v === '1';
  }
}

function validDate(m: RegExpExecArray): boolean {
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}
