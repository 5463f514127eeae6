// Imported first by bin.js, before anything can start libuv's thread pool (which reads this variable once, on first
// use). One ticklake process runs DuckDB queries from several connections (the processor's batch, tick archive and
// delivery; the API's queries, which may run up to their time limit) and file system calls (the broker's log, the
// lake's fsyncs) on that pool; with libuv's default of 4 threads a few slow queries queue everything else behind
// them. Measured end to end (bench:process, alternating runs): 4 threads 92k and 90k ticks/s, 16 threads 99k and
// 100k. A value set by the user wins.
process.env.UV_THREADPOOL_SIZE ??= '16';
