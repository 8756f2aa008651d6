// Preloaded into the benchmarked server processes (node --expose-gc --import):
// SIGUSR2 runs a full garbage collection, so memory is read without garbage.
process.on('SIGUSR2', () => globalThis.gc?.());
