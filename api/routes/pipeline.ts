/**
 * The scheduler over HTTP (docs/scheduler.md), for the #/pipeline page:
 *
 * - GET /api/pipeline: every scheduled job with its schedule, upstream jobs, last and next run, recent attempts
 *   (status, data interval, duration, rows, error); `{"scheduler": "off"}` and no jobs when this process runs none.
 * - POST /api/pipeline/jobs/:job/runs `{"end": "2026-01-05T11:00:00Z"}` (behind the token): runs that interval of
 *   the job again (default: the newest interval it has run) and answers with the finished attempt.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { tlError } from '../../core/errors.js';
import type { Scheduler } from '../../scheduler/scheduler.js';
import { jobViews, runView } from '../../scheduler/status.js';
import { requireToken } from '../plugins/auth.js';

const RerunBody = Type.Object(
  { end: Type.Optional(Type.String({ description: 'End of the data interval to run again (ISO, UTC)' })) },
  { additionalProperties: false },
);

export async function pipelineRoutes(
  app: FastifyInstance,
  opts: { scheduler?: Scheduler; token?: string; clock?: () => number },
): Promise<void> {
  const clock = opts.clock ?? Date.now;
  app.get(
    '/api/pipeline',
    { schema: { summary: 'Scheduled jobs: schedule, last and next run, recent runs', tags: ['pipeline'] } },
    async () => {
      const s = opts.scheduler;
      if (!s) return { scheduler: 'off', now: clock(), jobs: [] };
      return { scheduler: 'on', now: clock(), jobs: await jobViews(s, clock()) };
    },
  );
  app.post(
    '/api/pipeline/jobs/:job/runs',
    {
      schema: {
        summary: 'Run one data interval of a job again (needs the token)',
        tags: ['pipeline'],
        body: RerunBody,
        security: [{ bearer: [] }],
      },
      preHandler: requireToken(opts.token),
    },
    async (req) => {
      const s = opts.scheduler;
      if (!s) throw tlError('TL_API_NOT_FOUND', { what: 'the scheduler (this process runs none)' });
      const { job } = req.params as { job: string };
      const j = s.plan.jobs.get(job);
      if (!j) throw tlError('TL_API_NOT_FOUND', { what: `scheduled job "${job}"` });
      const text = (req.body as { end?: string } | undefined)?.end;
      // default: the newest interval the job has run (or, never run, its latest by the clock)
      let end = (await s.store.intervalEnds(job)).at(-1) ?? j.schedule.latest(clock());
      if (text !== undefined) {
        end = Date.parse(text);
        if (!Number.isFinite(end)) throw tlError('TL_API_BAD_PARAM', { param: 'end', reason: `not a time: "${text}"` });
      }
      const c = await s.rerun(job, end);
      return { run: runView(c) };
    },
  );
}
