// Waiting in tests without sleeping blindly: every wait is bounded and says
// what it waited for when it gives up.

/**
 * Calls `check` (sync or async) every `intervalMs` until it returns a truthy
 * value, which it resolves with; rejects after `timeoutMs` naming `what`
 * (a string, or a function called then, for what is known only at the end).
 */
export async function poll(check, timeoutMs, what, intervalMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves with `promise`, or rejects after `ms` naming what was awaited. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
