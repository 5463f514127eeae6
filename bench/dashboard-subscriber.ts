/**
 * A dashboard that stays open, for benchmarks of long runs: one subscriber of GET /api/live (the stream every open
 * dashboard page reads), reading and discarding its events. Like the page's EventSource it connects again after a
 * dropped stream (after the 2 s the server's `retry:` asks for). While it is connected the API's live poller runs,
 * reading the newest lake files every second: the soak then measures what a user with the dashboard open runs.
 */
export interface DashboardStats {
  /** Events received (snapshots and updates). */
  events: number;
  /** Bytes of the stream received. */
  bytes: number;
  /** Connections made, the first included. */
  connections: number;
  /** The last error that ended a connection, if any did. */
  lastError: string | null;
}

export function openDashboardSubscriber(base: string): { stats: DashboardStats; close(): Promise<DashboardStats> } {
  const stats: DashboardStats = { events: 0, bytes: 0, connections: 0, lastError: null };
  const abort = new AbortController();
  const decoder = new TextDecoder();
  const run = async () => {
    while (!abort.signal.aborted) {
      try {
        stats.connections++;
        const res = await fetch(`${base}/api/live`, { signal: abort.signal });
        if (!res.ok || !res.body) throw new Error(`GET /api/live answered ${res.status}`);
        let tail = '';
        for await (const chunk of res.body) {
          stats.bytes += chunk.byteLength;
          // an event ends at a blank line; count those, keeping the part after the last one for the next chunk
          const text = tail + decoder.decode(chunk, { stream: true });
          const parts = text.split('\n\n');
          tail = parts.pop() ?? '';
          stats.events += parts.filter((p) => /^data:/m.test(p)).length;
        }
        stats.lastError = 'the server ended the stream';
      } catch (e) {
        if (abort.signal.aborted) return;
        stats.lastError = (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  const running = run();
  return {
    stats,
    async close() {
      abort.abort();
      await running;
      return stats;
    },
  };
}
