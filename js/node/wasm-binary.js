// Node cannot fetch() the .wasm by file URL, so it is read from disk. This
// module must be evaluated before js/index.js, whose top-level await loads
// the core: js/node/index.js imports it first for that reason.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { provideWasmBinary } from '../api/core-module.js';

const wasmUrl = new URL('../../dist/rtcmesh-core.wasm', import.meta.url);
provideWasmBinary(() => readFile(wasmUrl), fileURLToPath(wasmUrl));
