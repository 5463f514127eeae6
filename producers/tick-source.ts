/**
 * The `src` of the ticks a producer sends (docs/messages.md, "Identity"): the name of the sequence their `seq`
 * counts in. The processor counts a (src, symbol, seq) once, so a name must stand for one sequence of ticks for good:
 * sending the same ticks again must give the same name, and different ticks a different one.
 *
 * - A live exchange (`ticklake start`, `produce --live`): its name and a random suffix drawn when it first starts,
 *   kept in its checkpoint, so a restart after a crash re-sends under the same name; deleting the checkpoint starts
 *   a new sequence.
 * - A bounded simulation (`produce`): a hash of everything that decides its ticks (seed, start, interval, calendar,
 *   the symbols' parameters): running the same command again re-sends the same ticks, which count once.
 * - A replay: the file's name and a hash of its content: replaying the same file again adds nothing; a changed file
 *   is a new source.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { SymbolSpec } from './universe.js';

/** A new live exchange's source: `<exchange>-<8 random hex digits>`. */
export function liveSource(exchange: string): string {
  return `${exchange}-${randomBytes(4).toString('hex')}`;
}

export interface SimulationParams {
  seed: number | string;
  start: number;
  tickIntervalMs: number;
  daily?: boolean;
  symbols: readonly SymbolSpec[];
}

/** A bounded simulation's source: `sim-<16 hex digits of a hash of its parameters>`. */
export function simulationSource(p: SimulationParams): string {
  const symbols = [...p.symbols].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  const text = JSON.stringify({
    seed: String(p.seed),
    start: p.start,
    interval: p.daily ? 'daily' : p.tickIntervalMs,
    symbols,
  });
  return `sim-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

/** A replayed file's source: `replay-<its name, up to 32 characters>-<12 hex digits of a hash of its bytes>`. */
export async function replaySource(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const name = basename(file)
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .slice(0, 32);
  return `replay-${name}-${hash.digest('hex').slice(0, 12)}`;
}
