/**
 * The dashboard's files (docs/dashboard.md): `/` is api/public/index.html, `/assets/*` the rest of api/public/
 * (plain ES modules and CSS, no build step), `/vendor/uplot.js` and `/vendor/uplot.css` the chart library from
 * node_modules/uplot/dist (bundled with the app, no CDN: the dashboard works offline).
 *
 * Files are read per request (a few small files; edits show on reload) and only from these two directories: a path
 * that leaves them, a dot-file or an unknown extension is 404 TL_API_NOT_FOUND.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { tlError } from '../../core/errors.js';

export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const VENDOR: Record<string, string> = {
  'uplot.js': join(UPLOT_DIR, 'uPlot.iife.min.js'),
  'uplot.css': join(UPLOT_DIR, 'uPlot.min.css'),
};

/** The file under `root` that `rel` names, or undefined when it would leave `root` or is not servable. */
export function publicPath(root: string, rel: string): string | undefined {
  if (rel.split('/').some((part) => part.startsWith('.') || part === '')) return undefined;
  const full = resolve(root, rel);
  if (!full.startsWith(resolve(root) + sep) || !TYPES[extname(full)]) return undefined;
  return full;
}

async function sendFile(reply: FastifyReply, path: string | undefined, what: string): Promise<FastifyReply> {
  let body: Buffer | undefined;
  if (path) body = await readFile(path).catch(() => undefined);
  if (!path || !body) throw tlError('TL_API_NOT_FOUND', { what });
  return reply
    .type(TYPES[extname(path)] ?? 'application/octet-stream')
    .header('cache-control', 'no-cache')
    .send(body);
}

export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  const hide = { schema: { hide: true } };
  app.get('/', hide, async (_req, reply) => sendFile(reply, join(PUBLIC_DIR, 'index.html'), 'dashboard'));
  app.get('/assets/*', hide, async (req, reply) => {
    const rel = (req.params as { '*': string })['*'];
    return sendFile(reply, publicPath(PUBLIC_DIR, rel), `file /assets/${rel}`);
  });
  app.get('/vendor/:file', hide, async (req, reply) => {
    const { file } = req.params as { file: string };
    return sendFile(reply, Object.hasOwn(VENDOR, file) ? VENDOR[file] : undefined, `file /vendor/${file}`);
  });
}
