/**
 * CPU seconds of a process from /proc/<pid>/stat (Linux): its own (utime + stime, all its threads) and that of the
 * children it has waited for (cutime + cstime), in clock ticks of 1/100 s. `self` reads the calling process.
 */
import { readFileSync } from 'node:fs';

export function processCpuSeconds(pid: number | 'self'): { self: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command name, which may hold spaces and parentheses: state is field 3, utime field 14
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { self: (Number(f[11]) + Number(f[12])) / 100, children: (Number(f[13]) + Number(f[14])) / 100 };
}
