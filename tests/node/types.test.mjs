// The TypeScript declarations of the public API are checked by tsc against a
// usage file: the seed's example must compile, misuse must be rejected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));

// NodeNext (usage.ts and signal-server.ts), then Node16 and Bundler resolution.
for (const config of ['tsconfig.json', 'tsconfig.node16.json', 'tsconfig.bundler.json']) {
  test(`tsc accepts tests/types against the package declarations (${config})`, { timeout: 120000 }, async () => {
    const project = fileURLToPath(new URL(`../types/${config}`, import.meta.url));
    const result = await promisify(execFile)(process.execPath, [tsc, '-p', project]).catch((error) => error);
    assert.equal(result.code ?? 0, 0, `tsc reported:\n${result.stdout}${result.stderr}`);
  });
}
