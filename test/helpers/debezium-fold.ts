/**
 * Test-side reading of Debezium topics, written apart from the encoder: fold a topic's messages to the latest row
 * per key (a tombstone or a `d` removes it) and decode the JSON converter's logical types into the text MariaDB
 * prints (dateStrings), so topic state and table rows compare as strings.
 */
import type { KcatMessage } from './cdc.js';

interface Field {
  field: string;
  type: string;
  name?: string;
  parameters?: Record<string, string>;
}

function decimalText(b64: string, scale: number): string {
  const bytes = Buffer.from(b64, 'base64');
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (bytes.length > 0 && bytes[0] & 0x80) v -= 1n << BigInt(bytes.length * 8);
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const s = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return neg ? `-${s}` : s;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function msText(ms: number, fsp: number): string {
  const d = new Date(ms);
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return fsp > 0 ? `${base}.${pad(d.getUTCMilliseconds(), 3).slice(0, fsp)}` : base;
}

/** A row of a Debezium payload as MariaDB would print it; `fsp` gives DATETIME precision per column. */
export function decodeRow(
  row: Record<string, unknown>,
  fields: Field[],
  fsp: Record<string, number> = {},
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const f of fields) {
    const v = row[f.field];
    if (v === null || v === undefined) {
      out[f.field] = null;
      continue;
    }
    if (f.name === 'org.apache.kafka.connect.data.Decimal')
      out[f.field] = decimalText(String(v), Number(f.parameters?.scale ?? 0));
    else if (f.name === 'io.debezium.time.Timestamp') out[f.field] = msText(Number(v), fsp[f.field] ?? 3);
    else if (f.name === 'io.debezium.time.Date') out[f.field] = msText(Number(v) * 86_400_000, 0).slice(0, 10);
    else out[f.field] = String(v);
  }
  return out;
}

export interface Folded {
  rows: Map<string, Record<string, string | null>>;
  /** Per key, the ops in order (r/c/u/d; tombstones left out). */
  ops: Map<string, string[]>;
  /** Every c/u/d change's binlog identity file:pos:row, in topic order. */
  changeIds: string[];
  /** Keys whose `before` did not equal the previous `after` (a lost or doubled change). */
  broken: string[];
}

export function foldTopic(msgs: KcatMessage[], fsp: Record<string, number> = {}): Folded {
  const rows = new Map<string, Record<string, string | null>>();
  const ops = new Map<string, string[]>();
  const changeIds: string[] = [];
  const broken: string[] = [];
  for (const m of msgs) {
    const key = m.key === null ? '' : JSON.stringify(JSON.parse(m.key).payload);
    if (m.value === null) {
      rows.delete(key);
      continue;
    }
    const v = JSON.parse(m.value);
    const p = v.payload;
    const fields =
      (v.schema.fields as { field: string; fields: Field[] }[]).find((f) => f.field === 'after')?.fields ?? [];
    const list = ops.get(key) ?? [];
    list.push(p.op);
    ops.set(key, list);
    if (p.op !== 'r') changeIds.push(`${p.source.file}:${p.source.pos}:${p.source.row}`);
    const prev = rows.get(key);
    if (p.op === 'u' || p.op === 'd') {
      const before = decodeRow(p.before, fields, fsp);
      if (!prev || JSON.stringify(before) !== JSON.stringify(prev))
        broken.push(`${key} ${p.op} at ${p.source.file}:${p.source.pos}`);
    }
    if (p.op === 'c' && prev) broken.push(`${key} created twice at ${p.source.file}:${p.source.pos}`);
    if (p.op === 'd') rows.delete(key);
    else rows.set(key, decodeRow(p.after, fields, fsp));
  }
  return { rows, ops, changeIds, broken };
}
