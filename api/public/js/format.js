// Formatting helpers shared by the pages: numbers, UTC times, HTML elements.

/** A number for display: integers as they are, others with a sensible number of digits. */
export function fmtNum(v, digits) {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  const d = digits ?? (a >= 1000 ? 2 : a >= 1 ? 4 : 6);
  return v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: Math.min(d, 2) });
}

/** `HH:MM:SS` of an epoch-ms time, UTC. */
export function fmtTime(ms) {
  return ms === null || ms === undefined ? 'n/a' : new Date(ms).toISOString().slice(11, 19);
}

/** `YYYY-MM-DD HH:MM:SS` of an epoch-ms time, UTC. */
export function fmtDateTime(ms) {
  return ms === null || ms === undefined ? 'n/a' : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** A duration in ms as `850 ms`, `12.3 s`, `4.2 min`. */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return 'n/a';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** Epoch ms of a timestamp (RFC 3339 with Z, as the API sends them, or DuckDB's text, UTC) or date, or null. */
export function parseTime(text) {
  if (typeof text !== 'string') return null;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(text);
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : zoned ? text : `${text.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** Creates an element: el('td', {class: 'num'}, 'text', child...). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}
