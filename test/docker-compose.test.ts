import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { requireTool } from './helpers/tools.js';

const compose = requireTool('docker-compose');
const ROOT = new URL('..', import.meta.url).pathname;

describe('docker-compose.yml', () => {
  it.skipIf(!compose)('is valid for docker-compose config (no engine needed)', () => {
    const out = execFileSync(compose!, ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, encoding: 'utf8' });
    // The resolved config keeps the services a deployment relies on.
    expect(out).toMatch(/^ {2}kafka:$/m);
    expect(out).toMatch(/^ {2}mysql:$/m);
    expect(out).toContain('KAFKA_PROCESS_ROLES: broker,controller');
  });
});
