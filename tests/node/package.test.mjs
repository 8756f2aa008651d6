// Packaging: what `npm publish` would ship, and the prepack guard that keeps
// a package without its wasm core from being made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingCoreFiles, refusal } from '../../tools/prepack.mjs';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

test('npm publish --dry-run ships the wasm core, the API, the types and the LICENSE, and nothing of the repo', { timeout: 120000 }, () => {
  // --offline and a dead registry: nothing leaves the machine.
  const result = spawnSync('npm', ['publish', '--dry-run', '--json', '--offline', '--registry', 'http://127.0.0.1:9/'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /prepack: packing the wasm core from dist\//, 'prepack ran');
  const report = JSON.parse(result.stdout).rtcmesh;
  const files = report.files.map((file) => file.path);
  // Every file an export condition names (rtcmesh/async's included), besides these.
  const { exports } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const paths = (target) => (typeof target === 'string' ? [target] : Object.values(target).flatMap(paths)); // conditions nest
  const exported = Object.values(exports).flatMap(paths).map((path) => path.replace(/^\.\//, ''));
  assert.ok(exported.includes('js/async.js') && exported.includes('js/node/async.js') && exported.includes('js/async.d.ts')
    && exported.includes('js/node/index.d.ts'));
  for (const needed of ['LICENSE', 'README.md', 'package.json', 'dist/rtcmesh-core.mjs', 'dist/rtcmesh-core.wasm', 'bin/rtcmesh-signal.js',
    'bin/rtcmesh-bot.js', 'js/node/node-only.d.ts', ...exported]) {
    assert.ok(files.includes(needed), `the package has ${needed}`);
  }
  const strays = files.filter((path) => /^(src|tests|web|tools|native-tests|fuzz|bench|build|emsdk-toolchain)\//.test(path));
  assert.deepEqual(strays, [], 'nothing from the repository beyond the package');
  assert.ok(report.files.find((file) => file.path === 'dist/rtcmesh-core.wasm').size > 10000, 'a real wasm file');
});

test('prepack names the missing core files and says how to build them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rtcmesh-dist-'));
  try {
    assert.deepEqual(missingCoreFiles(dir), ['rtcmesh-core.mjs', 'rtcmesh-core.wasm']);
    await writeFile(join(dir, 'rtcmesh-core.mjs'), 'export default 1;');
    await writeFile(join(dir, 'rtcmesh-core.wasm'), ''); // an empty file is as bad as none
    assert.deepEqual(missingCoreFiles(dir), ['rtcmesh-core.wasm']);
    const message = refusal(missingCoreFiles(dir));
    assert.match(message, /refusing to pack rtcmesh without its WebAssembly core \(missing: dist\/rtcmesh-core\.wasm\)/);
    assert.match(message, /npm run build/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  assert.deepEqual(missingCoreFiles(join(repoRoot, 'dist')), [], 'this checkout has its core');
});
