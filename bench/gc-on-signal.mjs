// Preloaded into the benchmarked server processes (node --expose-gc --import):
// on SIGUSR2, run a full garbage collection and print the memory figures on
// one stdout line, so memory is read without garbage.
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  const { rss, heapUsed, external } = process.memoryUsage();
  process.stdout.write(`rtcmesh-bench-memory ${JSON.stringify({ rss, heapUsed, external })}\n`);
});
