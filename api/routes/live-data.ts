/**
 * The dashboard's data beside the live stream (docs/dashboard.md):
 * - GET /api/live/symbols: every symbol with exchange, asset class and price decimals, and the lake's bar windows
 *   (the symbol search, the window selector, consistent price decimals);
 * - GET /api/live/bars?symbol=&window=&from=&to=&limit=: one symbol's bars over a range (the price chart's history;
 *   the stream then adds what is new);
 * - GET /api/live/portfolios and /api/live/portfolios/:id?from=&to=&window=: the portfolio drill-down (holdings,
 *   per-position P&L, NAV history).
 * Times are epoch milliseconds or ISO 8601 text (UTC unless it carries a zone).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_SEEDS_DIR, loadPortfolioSeeds } from '../../contracts/portfolio-seeds.js';
import { tlError } from '../../core/errors.js';
import { barHistory } from '../live/bar-history.js';
import { Portfolios } from '../live/portfolio.js';
import { windowMs } from '../live/series.js';
import { barWindows, SymbolDirectory } from '../live/symbols.js';

export interface LiveDataOptions {
  /** Seed files of the portfolios (default: the bundled sql/seeds, as the processor uses). */
  seedsDir?: string;
}

const DEFAULT_BARS = 2000;
const MAX_BARS = 20_000;

/** Epoch ms of a query value: digits (epoch ms) or ISO 8601 (UTC unless zoned). */
export function parseTimeParam(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const t = text.trim();
  let ms: number;
  if (/^-?\d+$/.test(t)) ms = Number(t);
  else if (/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(t)) {
    const iso = t.length === 10 ? `${t}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/.test(t) ? t : `${t}Z`;
    ms = Date.parse(iso.replace(' ', 'T'));
  } else ms = Number.NaN;
  if (!Number.isFinite(ms)) {
    throw tlError('TL_API_BAD_PARAM', {
      param: name,
      reason: `expected epoch milliseconds or a UTC time like 2026-01-05T10:00:00Z, got "${text}"`,
    });
  }
  return ms;
}

function parseLimit(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_BARS;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_BARS) {
    throw tlError('TL_API_BAD_PARAM', { param: 'limit', reason: `expected an integer from 1 to ${MAX_BARS}` });
  }
  return Number(text);
}

const SPAN_UNIT: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** A span like 15m, 6h, 1d, 1w in ms. */
function parseSpan(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const m = /^(\d+)([mhdw])$/.exec(text.trim());
  if (!m || Number(m[1]) === 0) {
    throw tlError('TL_API_BAD_PARAM', {
      param: 'span',
      reason: `expected a span like 15m, 6h, 1d or 1w, got "${text}"`,
    });
  }
  return Number(m[1]) * SPAN_UNIT[m[2]];
}

function checkWindow(name: string, w: string | undefined): string | undefined {
  if (w === undefined || w === '') return undefined;
  if (!Number.isFinite(windowMs(w))) {
    throw tlError('TL_API_BAD_PARAM', {
      param: name,
      reason: `expected a window like 1500ms, 10s, 1m, 1h or 1d, got "${w}"`,
    });
  }
  return w;
}

const str = Type.Optional(Type.String());

export async function liveDataRoutes(app: FastifyInstance, opts: LiveDataOptions): Promise<void> {
  const timeoutMs = app.limits.timeoutMs;
  const directory = new SymbolDirectory(app.lake, timeoutMs);
  const seedsDir = opts.seedsDir ?? DEFAULT_SEEDS_DIR;
  const portfolios = new Portfolios(app.lake, () => loadPortfolioSeeds(seedsDir), timeoutMs);

  /** The lake's windows, and 1h (rolled up by the view bars_1h) when there are 1m bars but no 1h ones. */
  const offered = (inLake: string[]) => {
    const ws = [...inLake];
    if (ws.includes('1m') && !ws.includes('1h')) ws.push('1h');
    return ws.sort((a, b) => windowMs(a) - windowMs(b));
  };
  const windows = async () => offered(await barWindows(app.lake.lakeDir));

  app.get(
    '/api/live/symbols',
    {
      schema: {
        summary: 'Symbols with exchange, asset class and price decimals; the bar windows of the lake',
        tags: ['dashboard'],
      },
    },
    async () => ({ symbols: await directory.symbols(), windows: await windows() }),
  );

  app.get(
    '/api/live/bars',
    {
      schema: {
        summary: 'Bars of one symbol and window over a time range (newest `limit`, oldest first)',
        tags: ['dashboard'],
        querystring: Type.Object({ symbol: Type.String(), window: str, from: str, to: str, limit: str }),
      },
    },
    async (req) => {
      const q = req.query as Record<string, string | undefined>;
      const inLake = await barWindows(app.lake.lakeDir);
      const window = checkWindow('window', q.window) ?? inLake[0];
      if (!window) return { symbol: q.symbol, window: null, source: null, bars: null, truncated: false };
      return barHistory(
        app.lake,
        {
          symbol: q.symbol as string,
          window,
          from: parseTimeParam('from', q.from),
          to: parseTimeParam('to', q.to),
          limit: parseLimit(q.limit),
        },
        inLake,
        timeoutMs,
      );
    },
  );

  app.get(
    '/api/live/portfolios',
    { schema: { summary: 'Portfolios with investor, positions and newest NAV', tags: ['dashboard'] } },
    async () => ({ portfolios: await portfolios.list() }),
  );

  app.get(
    '/api/live/portfolios/:id',
    {
      schema: {
        summary: 'One portfolio: holdings with price, value, P&L and weight over a range; its NAV history',
        description:
          'The range ends at `to` (default: the newest valuation) and starts at `from`, or `span` (15m, 6h, 1d, 1w) ' +
          'before `to`, by default at the start of its UTC day.',
        tags: ['dashboard'],
        params: Type.Object({ id: Type.String() }),
        querystring: Type.Object({ from: str, to: str, span: str, window: str }),
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const q = req.query as Record<string, string | undefined>;
      return portfolios.detail(id, {
        from: parseTimeParam('from', q.from),
        to: parseTimeParam('to', q.to),
        span: parseSpan(q.span),
        window: checkWindow('window', q.window),
      });
    },
  );
}
