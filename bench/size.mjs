// Bundle size: what a browser downloads for rtcmesh (JS + wasm) against the
// peers bundled by esbuild from npm, gzip and brotli.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function compressed(bytes) {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

async function bundle(entryContents) {
  const result = await build({
    stdin: { contents: entryContents, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    // The peers' Node polyfill needs are not ours to fix: count what resolves.
    external: ['wasm:*'],
  });
  return Buffer.from(result.outputFiles[0].contents);
}

const peers = {
  'simple-peer': "export { default } from 'simple-peer/simplepeer.min.js';",
  peerjs: "export { Peer } from 'peerjs';",
  trystero: "export { joinRoom } from 'trystero';",
};

export async function runSizeBenchmarks() {
  const ownJs = await bundle("export * from './js/index.js';");
  const ownWasm = await readFile(`${root}dist/rtcmesh-core.wasm`);
  const rows = [];
  const js = compressed(ownJs);
  const wasm = compressed(ownWasm);
  rows.push({ name: 'rtcmesh (JS)', ...js });
  rows.push({ name: 'rtcmesh (wasm)', ...wasm });
  rows.push({ name: 'rtcmesh (JS + wasm)', raw: js.raw + wasm.raw, gzip: js.gzip + wasm.gzip, brotli: js.brotli + wasm.brotli });
  for (const [name, entry] of Object.entries(peers)) {
    try {
      rows.push({ name, ...compressed(await bundle(entry)) });
    } catch (error) {
      rows.push({ name, error: error.message.split('\n')[0] });
    }
  }
  return rows;
}
