/**
 * The V8 heap of each worker thread of the process (core/thread-memory.ts): the main thread's is
 * ticklake_nodejs_heap_size_total_bytes (prom-client's default metrics); a worker's isolate is not in it.
 */
import { threadMemory } from '../core/thread-memory.js';
import type { MetricsRegistry } from './registry.js';

export function threadMetrics(m: MetricsRegistry): void {
  const gauge = (name: string, help: string, field: 'heapTotal' | 'heapUsed' | 'external') =>
    m.gaugeFrom(name, help, ['thread'], () => threadMemory().map(([thread, mem]) => [{ thread }, mem[field]]));
  gauge('ticklake_thread_heap_size_total_bytes', 'V8 heap reserved by a worker thread’s isolate', 'heapTotal');
  gauge('ticklake_thread_heap_size_used_bytes', 'V8 heap used by a worker thread’s isolate', 'heapUsed');
  gauge(
    'ticklake_thread_external_memory_bytes',
    'Memory of C++ objects (incl. ArrayBuffers) bound to a worker thread’s isolate',
    'external',
  );
}
