/**
 * Locating the real external programs the integration tests use (kcat, python3-kafka, mariadbd, chromium,
 * docker-compose). Outside CI a missing tool skips the test that needs it, with the reason; under CI=true
 * (where .ci/run installs them) a missing tool is a failure, never a skip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function findTool(name: string, candidates: string[] = []): string | undefined {
  for (const c of candidates) if (existsSync(c)) return c;
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Returns the tool's path; throws under CI when it is missing; otherwise undefined (the caller skips). */
export function requireTool(name: string, candidates: string[] = []): string | undefined {
  const path = findTool(name, candidates);
  if (!path && process.env.CI === 'true') {
    throw new Error(`${name} is required under CI=true but is not installed (.ci/run should install it)`);
  }
  return path;
}

/** Debian's python3 (which has python3-kafka), not a pyenv shim that lacks it. */
export const DEBIAN_PYTHON = '/usr/bin/python3';
