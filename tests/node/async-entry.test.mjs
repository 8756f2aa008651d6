// "rtcmesh/async": the entry without top-level await. Importing it loads no
// core; the constructors say so with code "not_ready"; RTCMesh.join() and
// Raft.open() load it themselves; CommonJS can require() it.
// The tests that need a core-free process run in a child of their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RTCMesh, RTCMeshError, Raft, RaftError, ready, loadCore } from 'rtcmesh/async';
import { provideWasmBinary } from '../../js/api/core-module.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `code` in a fresh Node process at the repository root; returns its stdout. */
function runChild(code, inputType = 'module') {
  const result = spawnSync(process.execPath, [`--input-type=${inputType}`, '-e', code], { cwd: repoRoot, encoding: 'utf8', timeout: 60000 });
  assert.equal(result.status, 0, `the child failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout.trim();
}

function assertNotReady(make, ErrorClass, pattern) {
  assert.throws(make, (error) => {
    assert.ok(error instanceof ErrorClass, `${error.constructor.name}: ${error.message}`);
    assert.equal(error.code, 'not_ready');
    assert.match(error.message, pattern);
    return true;
  });
}

// Runs first: nothing in this process has loaded the core yet.
test('constructors before ready() throw not_ready, whatever the options', () => {
  const advice = /not loaded yet: await ready\(\) \(from "rtcmesh\/async"\) before constructing/;
  assertNotReady(() => new RTCMesh({ id: 'a', peers: ['a', 'b'] }), RTCMeshError, advice);
  assertNotReady(() => new RTCMesh(null), RTCMeshError, advice);
  assertNotReady(() => new Raft({ address: 'a' }), RaftError, advice);
});

test('after a failed load, not_ready says why it failed', async () => {
  provideWasmBinary(() => Promise.reject(new Error('no such file')), '/nowhere/rtcmesh-core.wasm');
  await assert.rejects(ready(), /could not read the WebAssembly core from \/nowhere\/rtcmesh-core\.wasm/);
  assertNotReady(() => new RTCMesh({ id: 'a' }), RTCMeshError, /core could not be loaded \(rtcmesh: could not read .*no such file/);
  // Put back what js/node/wasm-binary.js provides: the next test loads for real.
  const { readFile } = await import('node:fs/promises');
  const wasm = new URL('../../dist/rtcmesh-core.wasm', import.meta.url);
  provideWasmBinary(() => readFile(wasm), fileURLToPath(wasm));
});

test('after ready() the constructors work; ready is loadCore', async () => {
  assert.equal(ready, loadCore);
  const core = await ready();
  assert.equal(typeof core.version(), 'string');
  const raft = new Raft({ address: 'a' });
  assert.equal(raft.address, 'a');
  await raft.close();
});

test('"rtcmesh" and "rtcmesh/async" export the same names and the same classes', async () => {
  const eager = await import('rtcmesh');
  const lazy = await import('rtcmesh/async');
  assert.deepEqual(Object.keys(eager).sort(), Object.keys(lazy).sort());
  for (const name of Object.keys(lazy)) assert.equal(eager[name], lazy[name], name);
});

test('Raft.open() loads the core itself', () => {
  const output = runChild(`
    import { Raft } from 'rtcmesh/async';
    const storage = { async load() { return { hardState: null, snapshot: null, entries: [] }; }, async save() {} };
    const raft = await Raft.open({ address: 'solo', storage });
    console.log('opened', raft.address);
    await raft.close();
  `);
  assert.equal(output, 'opened solo');
});

test('RTCMesh.join() loads the core itself', { timeout: 60000 }, () => {
  const output = runChild(`
    import WebSocket from 'ws';
    import wrtc from '@roamhq/wrtc';
    import { RTCMesh } from 'rtcmesh/async';
    import { startSignalServer } from 'rtcmesh/signal-server';
    const server = await startSignalServer();
    const mesh = await RTCMesh.join(server.url, 'room', { id: 'ana', WebSocket, RTCPeerConnection: wrtc.RTCPeerConnection });
    console.log('joined', mesh.id, JSON.stringify(mesh.peers));
    mesh.close();
    await server.close();
  `);
  assert.equal(output, 'joined ana []');
});

test('CommonJS can require("rtcmesh/async"), and "rtcmesh" says why it cannot', () => {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const requireEsm = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
  if (!requireEsm) return; // require() of ES modules came in Node 20.19 / 22.12
  const output = runChild(`
    const rtcmesh = require('rtcmesh/async');
    rtcmesh.ready().then((core) => console.log('required', typeof rtcmesh.RTCMesh, typeof core.version()));
    try { require('rtcmesh'); } catch (error) { console.log(error.code); }
  `, 'commonjs');
  assert.equal(output, 'ERR_REQUIRE_ASYNC_MODULE\nrequired function string');
});
