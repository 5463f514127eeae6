/**
 * The end of a bounded run (`--until-idle`): everything committed is delivered before the processor stops, MySQL
 * included, however long MySQL stays down. The first MySQL attempt is forced (a backoff left from the run must not
 * delay a server that is back); after that MySQL is tried on its outage's backoff (mysql-outage.ts: 0.2 s doubling to
 * 10 s), as during the run. The lake and Kafka are delivered once, at the start: nothing new arrives meanwhile.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** An outbox delivery as the drain uses it (delivery.ts, change-delivery.ts). */
export interface Drainable {
  deliverAll(forceMysql: boolean): Promise<boolean>;
  /** True when MySQL has every batch; false while it is down (tried only when its backoff allows, unforced). */
  deliverMysql(force?: boolean): Promise<boolean>;
  cleanup(): Promise<void>;
}

/** Delivers everything, waiting for MySQL (polling `stopping` every `pollMs`). True when nothing is left behind. */
export async function drainOutbox(d: Drainable, stopping: () => boolean, pollMs = 200): Promise<boolean> {
  if (await d.deliverAll(true)) return true;
  while (!stopping()) {
    await sleep(pollMs);
    if (await d.deliverMysql()) {
      await d.cleanup();
      return true;
    }
  }
  return false;
}
