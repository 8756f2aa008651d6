// Why the .wasm did not load, in words a user can act on. Used only after a
// failure: it looks up the URL the browser fetched and fetches it once more
// to see what the server really answers.

/**
 * The .wasm URL this page fetched (from Resource Timing), or null. A fetch
 * whose body was never read (Emscripten drops a 404's) is listed only once
 * the body arrived, hence the short wait.
 */
export async function wasmUrlTried() {
  for (let tries = 0; tries < 10; tries++) {
    const entries = globalThis.performance?.getEntriesByType?.('resource') ?? [];
    const names = entries.map((entry) => entry.name).filter((name) => /rtcmesh-core[^/]*\.wasm([?#]|$)/.test(name));
    if (names.length > 0 || !globalThis.performance?.getEntriesByType) return names.at(-1) ?? null;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return null;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]; // "\0asm"

/** What is wrong with what `url` serves, or null if it looks right. */
export async function diagnoseWasmFetch(url) {
  if (typeof fetch !== 'function' || !/^https?:/.test(url)) return null;
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin' });
  } catch (error) {
    return `fetching it failed (${error.message}): the server is unreachable or refuses it (CORS)`;
  }
  const type = response.headers.get('content-type') ?? 'no content type';
  if (!response.ok) {
    return `the server answered HTTP ${response.status}. Serve dist/rtcmesh-core.wasm next to rtcmesh-core.mjs, or check that your bundler emits it (it is found through new URL('rtcmesh-core.wasm', import.meta.url))`;
  }
  const head = new Uint8Array(await response.arrayBuffer()).subarray(0, 4);
  if (!WASM_MAGIC.every((byte, i) => head[i] === byte)) {
    const html = /html/i.test(type) || head[0] === 0x3c; // "<"
    return html
      ? `the server answered with an HTML page (${type}), not the .wasm: a dev server's fallback for a file it does not serve, such as Vite's dependency optimizer (add 'rtcmesh' to optimizeDeps.exclude)`
      : `the server answered with ${type} that is not WebAssembly`;
  }
  if (!/application\/wasm/i.test(type)) return `the server sends it as ${type}; serve .wasm files as application/wasm`;
  return null;
}
