// Loads the wasm core once per JS realm and hands out the same instance.
//
// Browsers and bundlers: dist/rtcmesh-core.mjs finds its .wasm next to itself
// through `new URL('rtcmesh-core.wasm', import.meta.url)`, which Vite and
// webpack understand. Node 20: Emscripten 3.1.6 would try fetch() on a file
// path, so the package's Node entry (js/node.js) provides the bytes. Keeping
// `node:` imports out of this file keeps browser bundlers from choking.
import createRtcmeshCore from '../../dist/rtcmesh-core.mjs';

let corePromise = null;
let loaded = null;
let wasmBinaryProvider = null;

/** For hosts that cannot fetch the .wasm by URL: a function resolving to its bytes. */
export function provideWasmBinary(provider) {
  wasmBinaryProvider = provider;
}

async function instantiate() {
  const options = {};
  if (wasmBinaryProvider) options.wasmBinary = await wasmBinaryProvider();
  try {
    return await createRtcmeshCore(options);
  } catch (cause) {
    throw new Error(`rtcmesh: the WebAssembly core could not be loaded (${cause?.message ?? cause})`, { cause });
  }
}

/** Resolves to the instantiated wasm module (shared by every RTCMesh and Raft). */
export function loadCore() {
  corePromise ??= instantiate().then(
    (module) => (loaded = module),
    (error) => {
      corePromise = null; // a later call may retry, e.g. after a network hiccup
      throw error;
    },
  );
  return corePromise;
}

/** The instantiated module, for synchronous constructors; throws if not loaded yet. */
export function loadedCore() {
  if (!loaded) throw new Error('rtcmesh: the WebAssembly core is not loaded yet; await loadCore() first');
  return loaded;
}
