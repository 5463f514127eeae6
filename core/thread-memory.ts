/**
 * The memory of a process's worker threads, by thread, so that it can be read at scrape time
 * (`ticklake_thread_heap_size_total_bytes`, metrics/thread-metrics.ts). A worker thread has its own V8 heap, which
 * `process.memoryUsage()` of the main thread does not count: without it, a consumer thread's heap is part of "the
 * rest" of a process's RSS (docs/metrics.md). Each thread reports its own numbers now and then (the consumer
 * thread every few seconds, processors/kafka/consumer-thread-main.ts); a stopped thread is forgotten.
 */

export interface ThreadMemory {
  /** V8's heap of the thread's isolate: reserved and used. */
  heapTotal: number;
  heapUsed: number;
  /** Memory of C++ objects bound to the isolate's JavaScript objects (incl. its ArrayBuffers). */
  external: number;
  arrayBuffers: number;
}

const threads = new Map<string, ThreadMemory>();

export function reportThreadMemory(thread: string, memory: ThreadMemory): void {
  threads.set(thread, memory);
}

export function forgetThread(thread: string): void {
  threads.delete(thread);
}

/** The latest report of every running thread. */
export function threadMemory(): [thread: string, memory: ThreadMemory][] {
  return [...threads];
}
