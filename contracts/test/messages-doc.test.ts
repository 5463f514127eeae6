import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tickSchema } from '../tick.js';

/** Drops descriptions and the `type` TypeBox adds next to `const`, so that two spellings of one schema compare. */
function normalise(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(normalise);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  const o = schema as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (k === 'description') continue;
    if (k === 'type' && 'const' in o) continue;
    out[k] = normalise(v);
  }
  return out;
}

describe('docs/messages.md', () => {
  const doc = readFileSync(new URL('../../docs/messages.md', import.meta.url), 'utf8');

  it('states the JSON Schema that contracts/tick.ts compiles', () => {
    const block = /### JSON Schema\s+```json\n([\s\S]*?)\n```/.exec(doc);
    expect(block).not.toBeNull();
    const documented = JSON.parse(block![1]);
    const code = JSON.parse(JSON.stringify(tickSchema()));
    expect(normalise(documented)).toEqual(normalise(code));
  });

  it('the example message is a valid tick', async () => {
    const { parseTick } = await import('../tick.js');
    const example = /```json\n(\{"v":1[^\n]*)\n```/.exec(doc);
    expect(example).not.toBeNull();
    expect(parseTick(example![1])).toEqual({ tick: JSON.parse(example![1]) });
  });
});
