/**
 * Compatibility levels and the check a registration must pass (Confluent's semantics, Avro's rules).
 *
 * "Schema A can read data written with schema B" is Avro's schema resolution (the Avro specification, "Schema
 * Resolution"), decided by avsc's `createResolver`: it fails when a reader record field without a default is
 * missing from the writer, a type cannot be promoted (int → long/float/double, long → float/double, float →
 * double, string ↔ bytes are allowed), a writer enum symbol is unknown to a reader enum without a default, a
 * writer union branch has no match in the reader, named types differ in name and aliases, fixed sizes differ.
 * Names are compared without their namespaces, as the specification says (`ignoreNamespaces`).
 *
 *   BACKWARD  the new schema reads data written with the latest version
 *   FORWARD   the latest version reads data written with the new schema
 *   FULL      both
 *   *_TRANSITIVE  the same against every version, not only the latest
 *   NONE      no check
 * Soft-deleted versions take no part, as in Confluent.
 */
import type avro from 'avsc';

export const LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;
export type Level = (typeof LEVELS)[number];
export const DEFAULT_LEVEL: Level = 'BACKWARD';

/** A level from a request (any case), or null. */
export function parseLevel(text: unknown): Level | null {
  if (typeof text !== 'string') return null;
  const up = text.toUpperCase();
  return (LEVELS as readonly string[]).includes(up) ? (up as Level) : null;
}

/** Null when `reader` can read data written with `writer`, else avsc's reason. */
export function readProblem(reader: avro.Type, writer: avro.Type): string | null {
  try {
    reader.createResolver(writer, { ignoreNamespaces: true });
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

export interface PriorVersion {
  version: number;
  type: avro.Type;
}

/** The reasons `candidate` breaks `level` against the prior versions (in version order); empty when it does not. */
export function compatibilityProblems(candidate: avro.Type, prior: readonly PriorVersion[], level: Level): string[] {
  if (level === 'NONE' || prior.length === 0) return [];
  const against = level.endsWith('_TRANSITIVE') ? prior : prior.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const problems: string[] = [];
  for (const p of against) {
    if (backward) {
      const why = readProblem(candidate, p.type);
      if (why) problems.push(`the new schema cannot read data written with version ${p.version} (${level}): ${why}`);
    }
    if (forward) {
      const why = readProblem(p.type, candidate);
      if (why) problems.push(`version ${p.version} cannot read data written with the new schema (${level}): ${why}`);
    }
  }
  return problems;
}
