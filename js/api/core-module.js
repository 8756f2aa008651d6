// Loads the wasm core once per JS realm and hands out the same instance.
//
// Browsers and bundlers: dist/rtcmesh-core.mjs finds its .wasm next to itself
// through `new URL('rtcmesh-core.wasm', import.meta.url)`, which Vite and
// webpack understand. Node 20: Emscripten 3.1.6 would try fetch() on a file
// path, so the bytes are read here and passed in as `wasmBinary`.
import createRtcmeshCore from '../../dist/rtcmesh-core.mjs';

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

let corePromise = null;

async function instantiate() {
  const options = {};
  if (isNode) {
    const { readFile } = await import('node:fs/promises');
    options.wasmBinary = await readFile(new URL('../../dist/rtcmesh-core.wasm', import.meta.url));
  }
  try {
    return await createRtcmeshCore(options);
  } catch (cause) {
    throw new Error(`rtcmesh: the WebAssembly core could not be loaded (${cause?.message ?? cause})`, { cause });
  }
}

/** Resolves to the instantiated wasm module (shared by every RTCMesh and Raft). */
export function loadCore() {
  corePromise ??= instantiate().catch((error) => {
    corePromise = null; // a later call may retry, e.g. after a network hiccup
    throw error;
  });
  return corePromise;
}
