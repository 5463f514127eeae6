/**
 * `-- schedule:` values and the data intervals they cut time into (docs/scheduler.md):
 *
 *   hourly          = cron `0 * * * *`
 *   daily           = cron `0 0 * * *`
 *   <cron>          five fields (minute hour day-of-month month day-of-week), or six with seconds first; UTC
 *
 * A schedule fires at instants T1 < T2 < ...; the run at Tn covers the data interval [Tn-1, Tn) (as Airflow and
 * SQLMesh do: an hourly model that fires at 10:00 computes 09:00–10:00, whose data is complete by then). Intervals
 * are named by their end. Everything is UTC epoch milliseconds; croner does the calendar arithmetic.
 */
import { Cron } from 'croner';

export interface DataInterval {
  /** Inclusive start, epoch ms. */
  start: number;
  /** Exclusive end = the fire time of the run, epoch ms. */
  end: number;
}

export interface Schedule {
  /** As written in the header. */
  text: string;
  /** The cron expression it stands for. */
  cron: string;
  /** First fire time strictly after `t`. */
  next(t: number): number;
  /** Last fire time at or before `t`. */
  latest(t: number): number;
  /** The interval that ends at fire time `end`. */
  intervalEndingAt(end: number): DataInterval;
}

const ALIASES: Record<string, string> = { hourly: '0 * * * *', daily: '0 0 * * *' };

/** Parses a schedule; throws an Error whose message says what is wrong (the caller adds file:line). */
export function parseSchedule(text: string): Schedule {
  const trimmed = text.trim();
  const cron = ALIASES[trimmed.toLowerCase()] ?? trimmed;
  const fields = cron.split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    throw new Error(`schedule "${text}" is not hourly, daily or a cron expression of 5 (or 6) fields`);
  }
  let job: Cron;
  try {
    job = new Cron(cron, { timezone: 'UTC', paused: true });
  } catch (e) {
    throw new Error(`schedule "${text}": ${(e as Error).message}`);
  }
  const next = (t: number): number => {
    const d = job.nextRun(new Date(t));
    if (!d) throw new Error(`schedule "${text}" never fires after ${new Date(t).toISOString()}`);
    return d.getTime();
  };
  const latest = (t: number): number => {
    // the fire time at or before t: previousRuns looks strictly before its reference, so ask from t + 1 ms
    const [d] = job.previousRuns(1, new Date(t + 1));
    if (!d) throw new Error(`schedule "${text}" never fired before ${new Date(t).toISOString()}`);
    return d.getTime();
  };
  return {
    text: trimmed,
    cron,
    next,
    latest,
    intervalEndingAt(end: number): DataInterval {
      return { start: latest(end - 1), end };
    },
  };
}

/** Fire times in (after, upTo], oldest first; at most `limit` of the newest when there are more (and how many). */
export function fireTimes(
  s: Schedule,
  after: number,
  upTo: number,
  limit: number,
): { times: number[]; dropped: number; firstDropped?: number } {
  const all: number[] = [];
  let dropped = 0;
  let firstDropped: number | undefined;
  for (let t = s.next(after); t <= upTo; t = s.next(t)) {
    all.push(t);
    if (all.length > limit) {
      const d = all.shift() as number;
      firstDropped ??= d;
      dropped++;
    }
  }
  return { times: all, dropped, firstDropped };
}

/** `2026-01-05T10:00:00Z` → `20260105T100000Z`: fixed width, sorts like time, safe in a path. */
export function compactTime(t: number): string {
  return new Date(t)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

export function parseCompactTime(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

/** An interval bound as runs and messages show it: ISO, UTC, without zero seconds (`2026-01-02T03:04Z`). */
export function iso(t: number): string {
  return new Date(t).toISOString().replace(':00.000Z', 'Z');
}
