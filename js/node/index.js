// rtcmesh entry point for Node (the "node" export condition): the same API as
// the browser entry, with the .wasm read from disk.
import { readFile } from 'node:fs/promises';
import { provideWasmBinary } from './api/core-module.js';

provideWasmBinary(() => readFile(new URL('../dist/rtcmesh-core.wasm', import.meta.url)));

export * from './index.js';
