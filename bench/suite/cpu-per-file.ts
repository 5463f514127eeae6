/**
 * A vitest setup file for `npm run bench:suite` (bench/suite.bench.ts): appends, when a test file ends, the CPU its
 * fork used — its own threads and every child process it started and reaped (`ticklake` processes, kcat, Python,
 * Chromium; from /proc/self/stat) — and the file's wall time, one JSON line per file, to $SUITE_CPU_OUT. A fork runs
 * one test file at a time and vitest runs this file before each, so the difference from its start is the file's.
 */
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { processCpuSeconds } from '../proc-cpu.js';

const cpuSeconds = () => processCpuSeconds('self');

const out = process.env.SUITE_CPU_OUT;
let start = cpuSeconds();
let startedAt = Date.now();
beforeAll(() => {
  start = cpuSeconds();
  startedAt = Date.now();
});

afterAll((suite) => {
  if (!out) return;
  const end = cpuSeconds();
  const line = {
    file: 'filepath' in suite ? suite.filepath : suite.name,
    cpuSelf: Math.round((end.self - start.self) * 100) / 100,
    cpuChildren: Math.round((end.children - start.children) * 100) / 100,
    wallSeconds: (Date.now() - startedAt) / 1000,
  };
  appendFileSync(out, `${JSON.stringify(line)}\n`);
});
