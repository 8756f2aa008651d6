// Level 2: the wasm core loads in Node and its bindings compute real results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { loadCore } from 'rtcmesh';

const packageVersion = JSON.parse(await readFile(new URL('../../package.json', import.meta.url))).version;

test('the wasm core reports the package version', async () => {
  const core = await loadCore();
  assert.equal(core.version(), packageVersion);
});

test('loadCore hands out one shared instance', async () => {
  assert.equal(await loadCore(), await loadCore());
});

test('the seeded generator replays from its seed and respects bounds', async () => {
  const core = await loadCore();
  const first = new core.Rng(1234);
  const second = new core.Rng(1234);
  const other = new core.Rng(99);
  try {
    const a = Array.from({ length: 20 }, () => first.nextU32());
    const b = Array.from({ length: 20 }, () => second.nextU32());
    const c = Array.from({ length: 20 }, () => other.nextU32());
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    for (let i = 0; i < 200; i++) {
      const value = first.between(150, 300);
      assert.ok(value >= 150 && value <= 300, `${value} out of [150, 300]`);
    }
  } finally {
    first.delete();
    second.delete();
    other.delete();
  }
});
