// `npm pack` / `npm publish` run this first (the "prepack" script): the
// package is useless without its wasm core, so it is built when missing, and
// packing is refused when it cannot be built. An existing dist/ is used as
// is: `npm run build` refreshes it.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from './process.mjs';

export const CORE_FILES = ['rtcmesh-core.mjs', 'rtcmesh-core.wasm'];

/** The core files missing (or empty) in `distDir`. */
export function missingCoreFiles(distDir) {
  return CORE_FILES.filter((name) => {
    const path = join(distDir, name);
    return !existsSync(path) || statSync(path).size === 0;
  });
}

/** Whether an Emscripten toolchain can be found without installing one. */
function toolchainAvailable() {
  if (process.env.EMSDK) return true;
  return spawnSync('em++', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function refusal(missing) {
  return [
    `prepack: refusing to pack rtcmesh without its WebAssembly core (missing: ${missing.map((name) => `dist/${name}`).join(', ')}).`,
    'No Emscripten toolchain was found to build it. Install one (emsdk, or `emsdk-toolchain/ensure.sh` on Debian),',
    'then run `npm run build` and pack again.',
  ].join('\n');
}

async function main() {
  const distDir = join(repoRoot, 'dist');
  let missing = missingCoreFiles(distDir);
  if (missing.length > 0 && toolchainAvailable() && process.env.RTCMESH_PREPACK_NO_BUILD !== '1') {
    console.error(`prepack: dist/ lacks ${missing.join(', ')}; building the wasm core`);
    const { build } = await import('./build.mjs');
    await build(['wasm']);
    missing = missingCoreFiles(distDir);
  }
  if (missing.length > 0) {
    console.error(refusal(missing));
    process.exit(1);
  }
  const sizes = CORE_FILES.map((name) => `${name} ${statSync(join(distDir, name)).size} bytes`);
  console.error(`prepack: packing the wasm core from dist/ (${sizes.join(', ')})`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(`prepack: ${error.message}`);
    process.exit(1);
  });
}
