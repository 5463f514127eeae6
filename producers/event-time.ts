/**
 * Parsing event times from the command line and from recorded files, always to epoch milliseconds UTC.
 *
 * - ISO 8601: `2026-01-05`, `2026-01-05T14:30:00.250Z`, `2026-01-05 14:30:00+01:00`. A date-time without a zone is
 *   taken as UTC (never the machine's local zone), so results do not depend on where the command runs.
 * - Epoch numbers: the unit is inferred from the magnitude, for instants after 1973: below 1e11 seconds, below 1e14
 *   milliseconds, below 1e17 microseconds, otherwise nanoseconds. Fractions are allowed (`1767225600.25`) and the
 *   result is rounded to the millisecond.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const EPOCH = /^[+]?\d+(\.\d+)?$/;

/** Returns epoch ms, or null when `text` is neither an ISO date/time nor an epoch number. */
export function parseEventTime(text: string): number | null {
  const s = text.trim();
  if (EPOCH.test(s)) {
    const n = Number(s);
    if (!Number.isFinite(n)) return null;
    const ms = n < 1e11 ? n * 1000 : n < 1e14 ? n : n < 1e17 ? n / 1000 : n / 1e6;
    const r = Math.round(ms);
    return Number.isSafeInteger(r) ? r : null;
  }
  const m = ISO.exec(s);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59)
    return null;
  let ms = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(sec));
  // Date.UTC rolls 2026-02-31 over into March: refuse impossible dates.
  if (new Date(ms).getUTCDate() !== day) return null;
  if (frac) ms += Math.round(Number(`0${frac}`) * 1000);
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ms < 0 ? null : ms;
}

/** Today 00:00 UTC (the default start of a simulation). */
export function todayUtc(now: number = Date.now()): number {
  return Math.floor(now / 86_400_000) * 86_400_000;
}
