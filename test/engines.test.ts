/**
 * `npm ci` on the Node.js version the README promises prints no EBADENGINE warning: every locked package's `engines.node`
 * range admits the floor of package.json's own `engines.node`, and the README's quick start names that floor.
 * (Two dependencies of fastify's ecosystem moved to Node >= 22 in a patch release; package.json `overrides` pins the
 * last releases that support 20: @fastify/static 10.1.3 and light-my-request 6.6.0.)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';

interface Version {
  version: string;
  major: number;
  minor: number;
}
// npm's own range semantics (semver, a dependency of fastify); typed here for the two calls used
const semver = createRequire(import.meta.url)('semver') as {
  minVersion(range: string): Version | null;
  satisfies(version: string, range: string): boolean;
};

const root = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean; os?: string[] }>;
};

it('every locked package supports the lowest Node.js that package.json admits', () => {
  const floor = semver.minVersion(pkg.engines.node)?.version;
  expect(floor).toBeDefined();
  const refuse = Object.entries(lock.packages)
    .filter(([key, m]) => key !== '' && !Array.isArray(m.engines) && typeof m.engines?.node === 'string')
    .filter(([, m]) => !semver.satisfies(floor as string, (m.engines as { node: string }).node))
    .map(([key, m]) => `${key} needs node ${(m.engines as { node: string }).node}`);
  expect(refuse).toEqual([]);
});

it('the README quick start names the same floor', () => {
  const floor = semver.minVersion(pkg.engines.node) as Version;
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  expect(readme).toContain(`On a fresh machine with Node.js ${floor.major}.${floor.minor} or newer`);
});
