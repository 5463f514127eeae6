// Time ranges for charts: presets that end at the newest data (live: new data moves them along), "all", and a
// custom from–to typed as `YYYY-MM-DD HH:MM` in UTC; the picker widget and segmented buttons (the window selector).

import { el } from './dom.js';
import { fromInputTime, toInputTime } from './format.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** [name, label, length in ms]; `all` has no length, `day` is the UTC day of the newest data. */
export const RANGE_PRESETS = [
  ['15m', '15m', 15 * MIN],
  ['1h', '1h', HOUR],
  ['6h', '6h', 6 * HOUR],
  ['1d', '1d', DAY],
  ['1w', '1w', 7 * DAY],
  ['all', 'all', null],
];

/**
 * The {from, to} (ms; undefined = open) of a range value against `newest` (ms, the end of the newest data):
 * presets end at `newest` and follow it (live: to is open), custom is fixed.
 */
export function resolveRange(range, newest) {
  if (!range || range.preset === 'all') return { from: undefined, to: undefined, live: true };
  if (range.preset === 'custom') return { from: range.from ?? undefined, to: range.to ?? undefined, live: !range.to };
  if (range.preset === 'day') {
    if (newest === null || newest === undefined) return { from: undefined, to: undefined, live: true };
    return { from: Math.floor((newest - 1) / DAY) * DAY, to: undefined, live: true };
  }
  const p = RANGE_PRESETS.find(([name]) => name === range.preset);
  if (!p || newest === null || newest === undefined) return { from: undefined, to: undefined, live: true };
  return { from: newest - p[2], to: undefined, live: true, length: p[2] };
}

/** The range as URL query values (for hashes): {range: '1h'} or {from, to} in ISO. */
export function rangeToQuery(range) {
  if (range?.preset !== 'custom') return { range: range?.preset };
  return {
    range: 'custom',
    from: range.from ? new Date(range.from).toISOString() : undefined,
    to: range.to ? new Date(range.to).toISOString() : undefined,
  };
}

export function rangeFromQuery(query, fallback) {
  const preset = query.get('range');
  if (preset === 'custom') {
    const from = Date.parse(query.get('from') ?? '');
    const to = Date.parse(query.get('to') ?? '');
    return { preset, from: Number.isNaN(from) ? null : from, to: Number.isNaN(to) ? null : to };
  }
  return preset ? { preset } : fallback;
}

/** Segmented buttons: [[value, label, title?]], the current value marked; onPick(value). */
export function segmented(options, value, onPick, attrs = {}) {
  return el(
    'div',
    { class: 'segmented', role: 'group', ...attrs },
    ...options.map(([v, label, title]) =>
      el(
        'button',
        {
          type: 'button',
          class: v === value ? 'on' : '',
          'aria-pressed': v === value ? 'true' : 'false',
          dataset: { value: v },
          title,
          onclick: () => onPick(v),
        },
        label,
      ),
    ),
  );
}

/**
 * The range picker: preset buttons, and "custom" with two datetime-local inputs read as UTC. `extra` presets go
 * first (e.g. [['day', 'today']]). onChange(range) gets {preset} or {preset: 'custom', from, to}.
 */
export function rangePicker(range, onChange, { extra = [], newest } = {}) {
  const input = (cls, title) =>
    el('input', { type: 'text', class: cls, title, placeholder: 'YYYY-MM-DD HH:MM', size: 16, spellcheck: 'false' });
  const from = input('range-from', 'from (UTC, included)');
  const to = input('range-to', 'to (UTC, excluded); empty: up to the newest data');
  const r = resolveRange(range, newest);
  const show = (ms) => toInputTime(ms).replace('T', ' ');
  if (range?.preset === 'custom') {
    if (range.from) from.value = show(range.from);
    if (range.to) to.value = show(range.to);
  } else if (r.from !== undefined) {
    from.value = show(r.from);
  }
  const error = el('small', { class: 'range-error' });
  const apply = el(
    'button',
    {
      type: 'button',
      class: 'range-apply',
      onclick: () => {
        const f = fromInputTime(from.value.trim());
        const t = fromInputTime(to.value.trim());
        const bad = (from.value.trim() && f === null) || (to.value.trim() && t === null);
        if (bad || (f !== null && t !== null && t <= f)) {
          error.textContent = bad ? ' write times as YYYY-MM-DD HH:MM (UTC)' : ' "to" must be after "from"';
          return;
        }
        onChange({ preset: 'custom', from: f, to: t });
      },
    },
    'Apply',
  );
  const custom = el(
    'span',
    { class: 'range-custom', hidden: range?.preset !== 'custom' },
    from,
    '–',
    to,
    el('small', {}, ' UTC '),
    apply,
    error,
  );
  const presets = [...extra, ...RANGE_PRESETS.map(([v, l]) => [v, l]), ['custom', 'custom…']];
  const buttons = segmented(
    presets,
    range?.preset ?? 'all',
    (v) => {
      if (v === 'custom') {
        custom.hidden = false;
        return;
      }
      onChange({ preset: v });
    },
    { class: 'segmented range-presets', title: 'time range (ends at the newest data)' },
  );
  return el('span', { class: 'range-picker' }, buttons, custom);
}
