// The TypeScript declarations of the public API are checked by tsc against
// usage files: the seed's example must compile, misuse must be rejected,
// with the DOM lib and without it (a Node-only project).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const consumers = fileURLToPath(new URL('../consumers', import.meta.url));

async function assertCompiles(config) {
  const project = fileURLToPath(new URL(`../types/${config}`, import.meta.url));
  const result = await promisify(execFile)(process.execPath, [tsc, '-p', project]).catch((error) => error);
  assert.equal(result.code ?? 0, 0, `tsc reported:\n${result.stdout}${result.stderr}`);
}

// With the DOM lib: NodeNext, Node16 and Bundler resolution. Without it:
// lib ES2022 alone (no host types at all), then with @types/node.
for (const config of ['tsconfig.json', 'tsconfig.node16.json', 'tsconfig.bundler.json', 'tsconfig.es2022.json']) {
  test(`tsc accepts tests/types against the package declarations (${config})`, { timeout: 120000 }, () => assertCompiles(config));
}

test('tsc accepts tests/types in a Node project with @types/node and no DOM (tsconfig.node-types.json)', { timeout: 300000 }, async () => {
  // @types/node comes with tests/consumers' install (the bundlers' tests use
  // it too), which keeps it out of the root package's dependencies.
  if (!existsSync(`${consumers}/node_modules/@types/node/package.json`)) {
    const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: consumers, encoding: 'utf8', timeout: 280000 });
    assert.equal(install.status, 0, `npm ci in tests/consumers failed:\n${install.stdout}${install.stderr}`);
  }
  await assertCompiles('tsconfig.node-types.json');
});
