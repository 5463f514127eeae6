/**
 * A vitest setup file for `npm run bench:suite` (bench/suite.bench.ts): appends, when a test file ends, the CPU its
 * fork used — its own threads and every child process it started and reaped (`ticklake` processes, kcat, Python,
 * Chromium; from /proc/self/stat) — and the file's wall time, one JSON line per file, to $SUITE_CPU_OUT. Each test
 * file runs in a fresh fork (vitest's default isolation), so the numbers are the file's.
 */
import { appendFileSync } from 'node:fs';
import { afterAll } from 'vitest';
import { processCpuSeconds } from '../proc-cpu.js';

const cpuSeconds = () => processCpuSeconds('self');

const out = process.env.SUITE_CPU_OUT;
const start = cpuSeconds();
const startedAt = Date.now();

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
