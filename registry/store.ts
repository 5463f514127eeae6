/**
 * The registry's state kept in step with the `_schemas` log (schemas-log.ts, state.ts).
 *
 * - `catchUp()` reads the log to the end it has now (the end is asked first, then records are applied until the
 *   position reaches it): every write starts with it, so a write decides on everything written before it, by
 *   any instance. Concurrent callers share one read.
 * - `tail()` keeps reading in the background (a long-poll fetch, woken by appends), so reads answered from memory
 *   are at most a moment behind other instances' writes; a server runs it, a one-off reader does not.
 * - `write(records)` appends and returns once the records are applied here, so the caller can look at the state
 *   its own records produced (and see whether another writer got there first).
 *
 * One fetch at a time (`exclusive`), so records are applied once and in order.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../core/log.js';
import { type LogRecord, SchemasLog, type SchemasLogOptions } from './schemas-log.js';
import { type RawRecord, RegistryState } from './state.js';

const TAIL_WAIT_MS = 500;

export class SchemaStore {
  readonly state = new RegistryState();
  /** Next offset to apply. */
  position = 0;
  readonly log: SchemasLog;
  private chain: Promise<unknown> = Promise.resolve();
  private tailing = false;
  private tailStopped: Promise<void> = Promise.resolve();
  private catching: Promise<void> | undefined;
  private readonly logger: Logger;

  constructor(opts: SchemasLogOptions) {
    this.log = new SchemasLog(opts);
    this.logger = opts.log;
  }

  /** Runs `f` after every fetch queued before it. */
  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.chain.then(f, f);
    this.chain = run.catch(() => {});
    return run;
  }

  private applyAll(records: LogRecord[]): void {
    for (const r of records) {
      this.state.apply(r.offset, r.key, r.value);
      this.position = r.offset + 1;
    }
  }

  /** Fetches once from the position (waiting up to `maxWaitMs` for records); returns the log's end. */
  private fetchOnce(maxWaitMs: number): Promise<number> {
    return this.exclusive(async () => {
      let fetched: Awaited<ReturnType<SchemasLog['fetch']>>;
      try {
        fetched = await this.log.fetch(this.position, maxWaitMs);
      } catch (e) {
        // records below the log's start are gone (deleted or compacted away): go on from its start
        if ((e as Error).name !== 'KafkaJSOffsetOutOfRange') throw e;
        const offsets = await this.log.offsets();
        if (offsets !== null && this.position < offsets.start) this.position = offsets.start;
        return offsets?.end ?? this.position;
      }
      const { records, end } = fetched;
      this.applyAll(records);
      // a compacted log has holes: past the last record, the position is the end
      if (records.length === 0 && end > this.position) this.position = end;
      return end;
    });
  }

  /** Applies records until the position reaches `target`. */
  async reach(target: number): Promise<void> {
    while (this.position < target) await this.fetchOnce(0);
  }

  /** Reads the log to the end it has now (nothing when the topic does not exist). */
  catchUp(): Promise<void> {
    // callers arriving during a catch-up wait for the next one: theirs must start after they asked
    const run = async () => {
      const offsets = await this.log.offsets();
      if (offsets === null) return;
      if (this.position < offsets.start) this.position = offsets.start;
      await this.reach(offsets.end);
    };
    const next = (this.catching ?? Promise.resolve()).then(run, run);
    this.catching = next;
    next.then(
      () => {
        if (this.catching === next) this.catching = undefined;
      },
      () => {
        if (this.catching === next) this.catching = undefined;
      },
    );
    return next;
  }

  /** Appends records and waits until they are applied here; returns the offset of the first. */
  async write(records: RawRecord[]): Promise<number> {
    const first = await this.log.append(records);
    await this.reach(first + records.length);
    return first;
  }

  /** Keeps applying new records in the background until `close`. */
  tail(): void {
    if (this.tailing) return;
    this.tailing = true;
    let failures = 0;
    this.tailStopped = (async () => {
      while (this.tailing) {
        try {
          await this.fetchOnce(TAIL_WAIT_MS);
          if (failures > 0) this.logger.info({ topic: this.log.topic }, 'reading the schemas topic again');
          failures = 0;
        } catch (e) {
          if (failures++ === 0)
            this.logger.warn({ err: (e as Error).message, topic: this.log.topic }, 'cannot read the schemas topic');
          await sleep(Math.min(5000, 250 * failures));
        }
      }
    })();
  }

  async close(): Promise<void> {
    this.tailing = false;
    await this.tailStopped;
    await this.chain;
    await this.log.close();
  }
}
