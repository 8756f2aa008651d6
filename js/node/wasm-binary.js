// Node cannot fetch() the .wasm by file URL, so it is read from disk. This
// module must be evaluated before js/index.js, whose top-level await loads
// the core: js/node/index.js imports it first for that reason.
import { readFile } from 'node:fs/promises';
import { provideWasmBinary } from '../api/core-module.js';

provideWasmBinary(() => readFile(new URL('../../dist/rtcmesh-core.wasm', import.meta.url)));
