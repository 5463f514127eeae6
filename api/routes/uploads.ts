/**
 * POST /api/uploads (multipart/form-data): a sales workbook (.xlsx) or its sheets as CSV files, checked row by row
 * and published to the retail topics (producers/workbook/upload.ts, docs/retail.md). Options as form fields or in
 * the query string: `dry_run`, `skip_bad_rows`, `full_replace` (true/false), `as_of` (YYYY-MM-DD).
 *
 * Answers the upload report: 200 for a dry run (its errors inside) and a published upload; 422 TL_DATA_INVALID_ROWS
 * with the report beside the error when rows have errors and bad rows are not skipped (nothing published); 413 for
 * a file over --max-upload-size or a workbook unpacking to more than --max-unpacked-size; 415 for macros or
 * external links. Its own token (--upload-token), not the query token: the accountant uploads, the administrator
 * queries. Multipart parsing is registered for this route only. GET /api/uploads says what the server takes.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { isTicklakeError, tlError } from '../../core/errors.js';
import { refusedError, runUpload } from '../../producers/workbook/upload.js';
import type { UploadFile } from '../../producers/workbook/upload-files.js';
import { requireToken } from '../plugins/auth.js';

export interface UploadRouteOptions {
  /** Kafka bootstrap servers uploads are published to; without them only dry runs work. */
  brokers?: string[];
  token?: string;
  maxBytes: number;
  maxUnpacked: number;
  /** Called after an upload was published (the one-command mode refreshes what it shows). */
  onPublished?: () => void;
}

const FLAGS = ['dry_run', 'skip_bad_rows', 'full_replace'] as const;
const MAX_FILES = 3;

function flag(name: string, v: string | undefined): boolean {
  if (v === undefined || v === '') return false;
  if (/^(true|1|yes|on)$/i.test(v)) return true;
  if (/^(false|0|no|off)$/i.test(v)) return false;
  throw tlError('TL_API_BAD_PARAM', { param: name, reason: `expected true or false, got "${v}"` });
}

export async function uploadRoutes(app: FastifyInstance, opts: UploadRouteOptions): Promise<void> {
  // what the pages ask first (cheap: no query): #/upload whether it can publish and needs a token, #/retail whether
  // the lake has the retail tables at all
  app.get(
    '/api/uploads',
    {
      schema: {
        summary: 'What uploads this server takes, and whether its lake has the retail tables',
        description:
          'publish: false when the server has no --brokers (dry runs only); token: whether POST needs --upload-token; ' +
          'retailTables: whether the lake declares the retail analytics (line_profit), docs/retail.md.',
        tags: ['uploads'],
      },
    },
    async () => ({
      publish: Boolean(opts.brokers?.length),
      token: Boolean(opts.token),
      maxBytes: opts.maxBytes,
      retailTables: app.lake.viewNames().includes('line_profit'),
    }),
  );
  await app.register(async (scope) => {
    await scope.register(multipart, {
      limits: { fileSize: opts.maxBytes, files: MAX_FILES, fields: 10, parts: MAX_FILES + 10 },
    });
    scope.post(
      '/api/uploads',
      {
        preHandler: requireToken(opts.token),
        schema: {
          summary: 'Upload a sales workbook (.xlsx) or its sheets as CSV files',
          description:
            'multipart/form-data with the file(s); dry_run, skip_bad_rows, full_replace (true/false) and as_of ' +
            '(YYYY-MM-DD) as form fields or query parameters. Answers the upload report (docs/retail.md).',
          tags: ['uploads'],
          consumes: ['multipart/form-data'],
          ...(opts.token ? { security: [{ bearer: [] }] } : {}),
        },
      },
      async (req, reply) => {
        if (!req.isMultipart()) {
          throw tlError('TL_API_BAD_PARAM', { param: 'body', reason: 'send the files as multipart/form-data' });
        }
        const fields: Record<string, string> = { ...(req.query as Record<string, string>) };
        const files: UploadFile[] = [];
        try {
          for await (const part of req.parts()) {
            if (part.type === 'file')
              files.push({ name: part.filename || part.fieldname, data: await part.toBuffer() });
            else fields[part.fieldname] = String(part.value);
          }
        } catch (e) {
          const code = (e as { code?: string }).code;
          if (code === 'FST_REQ_FILE_TOO_LARGE') {
            throw tlError('TL_DATA_FILE_TOO_LARGE', {
              file: 'the uploaded file',
              size: `more than ${opts.maxBytes}`,
              limit: opts.maxBytes,
            });
          }
          if (code === 'FST_FILES_LIMIT') {
            throw tlError('TL_API_BAD_PARAM', { param: 'files', reason: `at most ${MAX_FILES} files per upload` });
          }
          throw isTicklakeError(e) ? e : tlError('TL_API_BAD_PARAM', { param: 'body', reason: (e as Error).message });
        }
        if (files.length === 0) throw tlError('TL_API_BAD_PARAM', { param: 'file', reason: 'no file was sent' });
        const [dryRun, skipBadRows, fullReplace] = FLAGS.map((f) => flag(f, fields[f]));
        const asOf = fields.as_of || undefined;
        if (asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) {
          throw tlError('TL_API_BAD_PARAM', { param: 'as_of', reason: `expected YYYY-MM-DD, got "${asOf}"` });
        }
        if (!dryRun && !opts.brokers?.length) {
          throw tlError('TL_CONFIG_MISSING', { setting: '--brokers (this server has no Kafka to publish uploads to)' });
        }
        const report = await runUpload(files, {
          limits: { maxBytes: opts.maxBytes, maxUnpacked: opts.maxUnpacked },
          dryRun,
          skipBadRows,
          fullReplace,
          brokers: opts.brokers,
          lake: app.lake,
          asOf,
        });
        if (report.status === 'refused') {
          const e = refusedError(report);
          return reply.status(e.status).send({ ...e.toJSON(), report });
        }
        if (report.status === 'published') opts.onPublished?.();
        return { report };
      },
    );
  });
}
