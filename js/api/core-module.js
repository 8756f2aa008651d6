// Loads the wasm core once per JS realm and hands out the same instance.
//
// Browsers and bundlers: dist/rtcmesh-core.mjs finds its .wasm next to itself
// through `new URL('rtcmesh-core.wasm', import.meta.url)`, which Vite and
// webpack understand. Node 20: Emscripten 3.1.6 would try fetch() on a file
// path, so the package's Node entry (js/node.js) provides the bytes. Keeping
// `node:` imports out of this file keeps browser bundlers from choking.
import createRtcmeshCore from '../../dist/rtcmesh-core.mjs';
import { bindCore } from './core-abi.js';
import { diagnoseWasmFetch, wasmUrlTried } from './core-diagnosis.js';

let corePromise = null;
let loaded = null;
let lastLoadError = null; // named by not_ready errors: why the core is still missing
let wasmBinaryProvider = null;
let wasmBinarySource = null;

/**
 * For hosts that cannot fetch the .wasm by URL: a function resolving to its
 * bytes, and where it reads them from (named in errors).
 */
export function provideWasmBinary(provider, source = null) {
  wasmBinaryProvider = provider;
  wasmBinarySource = source;
}

async function instantiate() {
  const options = {};
  // Emscripten says how loading went only through printErr: kept for the error.
  const printed = [];
  options.printErr = (text) => {
    printed.push(String(text));
    console.warn(text);
  };
  if (wasmBinaryProvider) {
    try {
      options.wasmBinary = await wasmBinaryProvider();
    } catch (cause) {
      throw Object.assign(new Error(`rtcmesh: could not read the WebAssembly core from ${wasmBinarySource ?? 'its provider'} (${cause?.message ?? cause}); was the package packed without dist/? Its prepack script builds it.`, { cause }), { code: 'core_load_failed' });
    }
  }
  try {
    return bindCore(await createRtcmeshCore(options));
  } catch (cause) {
    throw await loadError(cause, printed);
  }
}

// An error a user can act on: the URL tried, what the server answered, and
// Emscripten's own words without its advice to rebuild with ASSERTIONS.
async function loadError(cause, printed) {
  const own = String(cause?.message ?? cause).replace(/\s*Build with -s ASSERTIONS=1 for more info\.?/, '');
  const url = wasmBinarySource ?? (await wasmUrlTried());
  const where = url ?? 'rtcmesh-core.wasm next to rtcmesh-core.mjs';
  const likely = wasmBinaryProvider ? null : url && (await diagnoseWasmFetch(url));
  // Emscripten repeats the reason in several lines; keep only what is new.
  const detail = printed
    .filter((line) => !/^falling back to ArrayBuffer|Aborted\(/.test(line) && !own.includes(line.replace(/^[^:]*:\s*/, '')))
    .join('; ');
  const message = `rtcmesh: the WebAssembly core could not be loaded from ${where}${likely ? `: ${likely}` : ''} (${own}${detail ? `; ${detail}` : ''})`;
  return Object.assign(new Error(message, { cause }), { code: 'core_load_failed' });
}

/** Resolves to the instantiated module (shared by every RTCMesh and Raft). */
export function loadCore() {
  corePromise ??= instantiate().then(
    (module) => (loaded = module),
    (error) => {
      corePromise = null; // a later call may retry, e.g. after a network hiccup
      lastLoadError = error;
      throw error;
    },
  );
  return corePromise;
}

/**
 * The instantiated module, for synchronous constructors. Before the core is
 * loaded (the "rtcmesh/async" entry, or a load that failed) it throws what
 * `notReady(message)` makes, so each class reports it as its own error type
 * with code "not_ready" instead of failing later inside the shim.
 */
export function loadedCore(notReady = (message) => Object.assign(new Error(message), { code: 'not_ready' })) {
  if (loaded) return loaded;
  const state = lastLoadError ? `could not be loaded (${lastLoadError.message})` : 'is not loaded yet';
  throw notReady(
    `the WebAssembly core ${state}: await ready() (from "rtcmesh/async") before constructing; ` +
      'RTCMesh.join() and Raft.open() wait for it themselves',
  );
}
