/**
 * JSON text with exact numbers. Kafka Connect's JSON converter writes int64 and the like as JSON numbers; a
 * JavaScript number cannot hold 2^53 + 1, so such values are carried as `RawNumber` (their decimal digits) and
 * written verbatim. Everything else serializes as JSON.stringify would.
 */
export class RawNumber {
  constructor(readonly digits: string) {
    if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(digits)) throw new Error(`not a JSON number: ${digits}`);
  }
}

export function toJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof RawNumber) return v.digits;
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'object': {
      if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
      const parts: string[] = [];
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (x !== undefined) parts.push(`${JSON.stringify(k)}:${toJson(x)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return 'null';
  }
}
