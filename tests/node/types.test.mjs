// The TypeScript declarations of the public API are checked by tsc against a
// usage file: the seed's example must compile, misuse must be rejected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const project = fileURLToPath(new URL('../types/tsconfig.json', import.meta.url));

test('tsc accepts tests/types/usage.ts against the package declarations', { timeout: 120000 }, async () => {
  const result = await promisify(execFile)(process.execPath, [tsc, '-p', project]).catch((error) => error);
  assert.equal(result.code ?? 0, 0, `tsc reported:\n${result.stdout}${result.stderr}`);
});
