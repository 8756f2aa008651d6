// Builds what is missing or stale: toolchain check, then the CMake presets.
// Ninja makes a second run a no-op when nothing changed, so `npm test` and
// `npm start` can call this every time.
//
//   node tools/build.mjs [native|wasm ...]    (default: both)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mustRun, repoRoot } from './process.mjs';

// Debian's emscripten needs Debian's node modules (acorn) for its optimizer.
const emscriptenEnv = { NODE_PATH: [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':') };

/** npm dependencies: installed from the lock file when missing. */
export async function ensureNodeModules() {
  if (!existsSync(join(repoRoot, 'node_modules/.package-lock.json'))) {
    await mustRun('npm', ['ci', '--no-audit', '--no-fund']);
  }
}

export async function ensureToolchain() {
  await mustRun('bash', [join(repoRoot, 'emsdk-toolchain/ensure.sh')]);
}

export async function buildPreset(preset) {
  const configured = existsSync(join(repoRoot, 'build', preset, 'build.ninja'));
  if (!configured) {
    // Warnings are errors in CI, so a warning cannot land unnoticed.
    const werror = process.env.CI ? ['-DRTCMESH_WERROR=ON'] : [];
    await mustRun('cmake', ['--preset', preset, ...werror], { env: emscriptenEnv });
  }
  await mustRun('cmake', ['--build', '--preset', preset], { env: emscriptenEnv });
}

export async function build(presets = ['native', 'wasm']) {
  await ensureToolchain();
  for (const preset of presets) await buildPreset(preset);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const presets = process.argv.slice(2);
  build(presets.length ? presets : undefined).catch((error) => {
    console.error(`build failed: ${error.message}`);
    process.exit(1);
  });
}
