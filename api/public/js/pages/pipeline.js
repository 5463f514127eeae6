// #/pipeline (docs/scheduler.md): the scheduled jobs (checks, models, tests, reports) in dependency order, each with
// its schedule, last run (status, data interval, duration, rows), next run and failures; the recent failures with
// their error; a job's runs when it is picked (#/pipeline/<job>); a re-run button per job (needs the API token when
// the server has one). Refreshed every 5 s.

import { dataTable, el, errorBox, fmtDuration, fmtTime, getJson, postJson, tokenField } from '../ops/ui.js';

const BAD = new Set(['failed', 'blocked', 'crashed']);

function status(s) {
  return el('span', { class: `status status-${s}` }, s);
}

function interval(r) {
  return r ? `${fmtTime(r.intervalStart)} → ${fmtTime(r.intervalEnd).slice(-5)}` : '–';
}

export async function mount(root, ctx) {
  const head = el(
    'div',
    { class: 'panel pipeline-head' },
    el('h2', {}, 'Pipeline ', el('small', { id: 'pipeline-meta' }, '')),
    tokenField(),
  );
  const jobsBox = el('div', { class: 'panel', id: 'pipeline-jobs' }, el('p', { class: 'muted' }, 'loading…'));
  const failBox = el('div', { class: 'panel', id: 'pipeline-failures' });
  const runsBox = el('div', { class: 'panel', id: 'pipeline-runs' });
  const note = el('div', { id: 'pipeline-note', role: 'status' });
  root.append(head, note, jobsBox, el('div', { class: 'pipeline-grid' }, runsBox, failBox));
  let selected = ctx.params[0] ?? null;
  let data = null;

  const rerun = async (job) => {
    note.replaceChildren(el('p', { class: 'muted' }, `running ${job} again…`));
    const res = await postJson(`/api/pipeline/jobs/${encodeURIComponent(job)}/runs`, {}, ctx.signal);
    if (ctx.signal.aborted) return;
    if (!res.ok) note.replaceChildren(errorBox(res.error));
    else {
      const r = res.body.run;
      note.replaceChildren(
        el(
          'p',
          { class: 'ok-note' },
          `${r.runId}: `,
          status(r.status),
          r.error ? ` ${r.error}` : ` ${r.rows ?? 0} rows`,
        ),
      );
    }
    await refresh();
  };

  const draw = () => {
    const jobs = data.jobs;
    document.getElementById('pipeline-meta').textContent =
      data.scheduler === 'on' ? `${jobs.length} jobs · ${fmtTime(data.now)} UTC` : 'scheduler off in this process';
    jobsBox.replaceChildren(
      el('h3', {}, 'Jobs ', el('small', {}, 'in dependency order: checks, models, tests, reports')),
      dataTable({
        columns: [
          { key: 'name', label: 'job' },
          { key: 'schedule' },
          { key: 'severity', format: (v, j) => v ?? (j.materialize ? `→ ${j.materialize}` : '') },
          { key: 'upstream', label: 'after', format: (v) => [...new Set(v.map((u) => u.job))].join(', ') || '–' },
          { key: 'last', label: 'last run', format: (v) => (v ? status(v.status) : '–') },
          { key: 'last', label: 'interval', format: (v) => interval(v) },
          { key: 'last', label: 'duration', num: true, format: (v) => fmtDuration(v?.durationMs) },
          { key: 'last', label: 'rows', num: true, format: (v) => v?.rows ?? '–' },
          { key: 'next', label: 'next run', format: (v) => fmtTime(v) },
          { key: 'failures', num: true, cls: (j) => (j.failures ? 'bad' : '') },
          {
            key: 'name',
            label: '',
            format: (v) =>
              el(
                'button',
                {
                  class: 'rerun',
                  title: 'run the latest interval again',
                  onclick: (e) => {
                    e.stopPropagation();
                    rerun(v);
                  },
                },
                'Re-run',
              ),
          },
        ],
        rows: jobs,
        onRow: (j) => ctx.go(`#/pipeline/${encodeURIComponent(j.name)}`),
        selected: (j) => j.name === selected,
        empty: 'no scheduled SQL files',
      }),
    );
    const failures = jobs
      .flatMap((j) => j.runs.filter((r) => BAD.has(r.status)))
      .sort((a, b) => (b.endedAt ?? b.startedAt) - (a.endedAt ?? a.startedAt))
      .slice(0, 30);
    failBox.replaceChildren(
      el('h3', {}, 'Recent failures'),
      failures.length
        ? el(
            'ul',
            { class: 'failures' },
            failures.map((r) =>
              el(
                'li',
                {},
                status(r.status),
                ' ',
                el('b', {}, r.job),
                ' ',
                el('span', { class: 'muted' }, interval(r)),
                el('div', { class: 'err' }, r.error ?? ''),
              ),
            ),
          )
        : el('p', { class: 'muted' }, 'none'),
    );
    const job = jobs.find((j) => j.name === selected);
    runsBox.replaceChildren(
      el('h3', {}, job ? `Runs of ${job.name}` : 'Runs', job ? el('small', {}, ` ${job.file} · ${job.schedule}`) : ''),
      job
        ? dataTable({
            columns: [
              { key: 'intervalEnd', label: 'interval', format: (_v, r) => interval(r) },
              { key: 'attempt', num: true },
              { key: 'status', format: (v) => status(v) },
              { key: 'startedAt', label: 'started', format: (v) => fmtTime(v) },
              { key: 'durationMs', label: 'duration', num: true, format: (v) => fmtDuration(v) },
              { key: 'rows', num: true },
              { key: 'error', format: (v) => (v ? el('span', { class: 'err' }, v) : '') },
            ],
            rows: job.runs,
          })
        : el('p', { class: 'muted' }, 'Pick a job to see its runs.'),
    );
    ctx.expose({ jobs, selected });
  };

  const refresh = async () => {
    const res = await getJson('/api/pipeline', {}, ctx.signal);
    if (ctx.signal.aborted) return;
    if (!res.ok) {
      jobsBox.replaceChildren(errorBox(res.error));
      return;
    }
    data = res.body;
    draw();
  };
  await refresh();
  ctx.every(5000, refresh);
  return {
    update: (c) => {
      selected = c.params[0] ?? null;
      if (data) draw();
    },
  };
}
