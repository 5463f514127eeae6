/**
 * Whether a process exists, by pid: the one liveness check of the lake's compaction marks (lake/compact-epoch.ts),
 * the scheduler's claims (scheduler/claims.ts), the processors' partition leases (processors/partitions/lake-guard.ts),
 * `ticklake start`'s run file (cli/start/run-file.ts) and the private MySQL server's pid file
 * (processors/sinks/private-mysql.ts).
 *
 * `kill(pid, 0)` sends no signal; it fails with ESRCH when no such process exists and with EPERM when one exists
 * that we may not signal (another user's), so EPERM means alive. Pids of 0 or below are refused before the call:
 * `kill(0, 0)` and `kill(-n, 0)` address process groups and would answer for our own group.
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
