/**
 * How long a simulation step is in years, the unit of every model parameter (`mu`, `sigma`, `theta`, `lambda` are
 * annual figures, as a quant reads them; docs/messages.md "Units of the model parameters").
 *
 * Two calendars, chosen per asset class or symbol in the universe file (`calendar`):
 *
 * - `24/7` (crypto, forex): every second counts; a year is 365.25 days (31,557,600 s).
 * - `trading` (equities): a year is 252 trading days, as daily equity returns are annualised with √252.
 *
 * Intraday and live (`--tick-interval`, `ticklake start`): the simulated venues trade around the clock, so for them
 * trading time is calendar time and a step of Δt is Δt / 365.25 days under either calendar. (A 6.5-hour session
 * calendar for a venue that never closes would make every calendar hour 3.7 trading hours: each intraday figure the
 * lake annualises by calendar time — `bars_1h.annualized_vol`, `vwap-volatility`, the risk classes of `hourly-kpis` —
 * would read equities at 2.3 times their configured volatility.)
 *
 * Daily (`--daily`, the history of `ticklake start`): the venues trade on weekdays. A `trading` step is one trading
 * day, 1/252 year, split evenly when a day has several steps; Friday to Monday is one trading day. A `24/7` step is
 * the calendar time elapsed, so Friday's last step to Monday's first counts the weekend.
 */

export const DAY_MS = 86_400_000;
/** A calendar year of 365.25 days, in ms. */
export const YEAR_MS = 365.25 * DAY_MS;
/** Trading days per year of the `trading` calendar. */
export const TRADING_DAYS_PER_YEAR = 252;

export const CALENDARS = ['trading', '24/7'] as const;
export type Calendar = (typeof CALENDARS)[number];

/** Years one intraday step of `intervalMs` advances the models (either calendar: the venue never closes). */
export function intradayStepYears(intervalMs: number): number {
  return intervalMs / YEAR_MS;
}

/**
 * Years one daily-mode step advances a model of `calendar`: `elapsedMs` since the previous step (calendar time,
 * weekends included), `stepsPerDay` steps per trading day.
 */
export function dailyStepYears(calendar: Calendar, elapsedMs: number, stepsPerDay: number): number {
  return calendar === 'trading' ? 1 / (TRADING_DAYS_PER_YEAR * stepsPerDay) : elapsedMs / YEAR_MS;
}
