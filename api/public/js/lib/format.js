// Formatting shared by the pages: numbers, prices with one number of decimals per instrument, UTC times.

/** A number for display: integers with thousands separators, others with a sensible number of digits. */
export function fmtNum(v, digits) {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && digits === undefined) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  const d = digits ?? (a >= 1000 ? 2 : a >= 1 ? 4 : 6);
  return v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: Math.min(d, 2) });
}

/** Exactly `d` decimals, with thousands separators. */
export function fmtFixed(v, d) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return v === null || v === undefined ? '' : String(v);
  return v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
}

/** A signed percentage: `+1.23%`. */
export function fmtPct(v, d = 2) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '';
  return `${v > 0 ? '+' : ''}${v.toFixed(d)}%`;
}

/** Large counts as 1.2k, 3.4M (axes, tiles). */
export function fmtCompact(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '';
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return String(+v.toPrecision(6));
}

// ---- prices: one number of decimals per instrument -------------------------------------------------------------

const MIN_DECIMALS = 2;
const MAX_DECIMALS = 8;
const priceDecimals = new Map();

/** Decimals needed to write `v` exactly (0..8): 187.4 → 1, 1.08523 → 5. */
export function decimalsOf(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 0;
  for (let d = 0; d < MAX_DECIMALS; d++) {
    const x = v * 10 ** d;
    if (Math.abs(Math.round(x) - x) < 1e-9 * Math.max(1, Math.abs(x))) return d;
  }
  return MAX_DECIMALS;
}

/**
 * Sets an instrument's price decimals (the server knows them from its ticks: GET /api/live/symbols), at least 2.
 * Every price of the symbol is then written with exactly that many decimals, wherever it shows.
 */
export function setPriceDecimals(symbol, d) {
  if (typeof d === 'number' && d >= 0) priceDecimals.set(symbol, Math.min(MAX_DECIMALS, Math.max(MIN_DECIMALS, d)));
}

/** Learns decimals from traded prices (open/high/low/close, not VWAP): the most any of them needs, at least 2. */
export function learnPrices(symbol, values) {
  let d = priceDecimals.get(symbol) ?? MIN_DECIMALS;
  for (const v of values) if (typeof v === 'number') d = Math.max(d, decimalsOf(v));
  priceDecimals.set(symbol, Math.min(MAX_DECIMALS, d));
  return priceDecimals.get(symbol);
}

/** The decimals prices of `symbol` are written with (2 until something is known). */
export function decimalsFor(symbol) {
  return priceDecimals.get(symbol) ?? MIN_DECIMALS;
}

/** A price of `symbol` with the instrument's decimals: fmtPrice('EUR-USD', 1.085) → `1.08500`. */
export function fmtPrice(symbol, v) {
  return fmtFixed(v, decimalsFor(symbol));
}

// ---- times, always UTC ------------------------------------------------------------------------------------------

/** `HH:MM:SS` of an epoch-ms time, UTC. */
export function fmtTime(ms) {
  return ms === null || ms === undefined ? 'n/a' : new Date(ms).toISOString().slice(11, 19);
}

/** `YYYY-MM-DD HH:MM:SS` of an epoch-ms time, UTC. */
export function fmtDateTime(ms) {
  return ms === null || ms === undefined ? 'n/a' : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** `YYYY-MM-DDTHH:MM` of an epoch-ms time, UTC. */
export function toInputTime(ms) {
  return new Date(ms).toISOString().slice(0, 16);
}

/** Epoch ms of `YYYY-MM-DD[ HH:MM[:SS]]` (a space or T between) read as UTC, or null. */
export function fromInputTime(text) {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(:\d{2})?)?$/.exec(text ?? '');
  if (!m) return null;
  const ms = Date.parse(`${m[1]}T${m[2] ?? '00:00'}${m[3] ?? ':00'}Z`);
  return Number.isNaN(ms) ? null : ms;
}

/** A duration in ms as `850 ms`, `12.3 s`, `4.2 min`, `1.5 h`. */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return 'n/a';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** Epoch ms of DuckDB's timestamp or date text (UTC; a trailing Z or offset is honoured), or null. */
export function parseTime(text) {
  if (typeof text !== 'string') return null;
  let iso = text;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) iso = `${text}T00:00:00Z`;
  else if (!/(Z|[+-]\d{2}(:?\d{2})?)$/.test(text)) iso = `${text.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso.replace(' ', 'T'));
  return Number.isNaN(ms) ? null : ms;
}
