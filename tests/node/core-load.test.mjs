// In Node, a .wasm that cannot be read is named in the error, with the
// likely cause. Run in a child process: this process has its core loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const script = `
import { provideWasmBinary, loadCore } from '${new URL('../../js/api/core-module.js', import.meta.url)}';
import { readFile } from 'node:fs/promises';
provideWasmBinary(() => readFile('/nonexistent/rtcmesh-core.wasm'), '/nonexistent/rtcmesh-core.wasm');
await loadCore().then(() => console.log('loaded'), (error) => console.log(error.message));
`;

test('a missing .wasm in Node names the path and the likely cause', () => {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30000 });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /could not read the WebAssembly core from \/nonexistent\/rtcmesh-core\.wasm \(ENOENT/);
  assert.match(result.stdout, /packed without dist\//);
});
