// Waiting in tests without sleeping blindly: every wait is bounded and says
// what it waited for when it gives up.

/**
 * Calls `check` (sync or async) every `intervalMs` until it returns a truthy
 * value, which it resolves with; rejects after `timeoutMs` naming `what`.
 */
export async function poll(check, timeoutMs, what, intervalMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
