// 32 members join one room at the same moment with the server's default
// limits: no member trips a limit or loses its signaling socket, and every
// pair completes its offer/answer exchange through the server. The members
// live in 8 child processes (file descriptors: see tests/support/mesh-worker.mjs).
//
// Shown to bite: with main's server (RTCMESH_SIGNAL_SERVER; a fixed window of
// 100 messages/s, fatal) members get rate-limit errors and are closed; with
// the first defaults of this branch (burst 2000, 200/s) m00 got rate-limit
// refusals.
//
// How many links then open is logged, not asserted: on the 2-core machine this
// was written on, under a parallel C++ build, every pair had negotiated after
// ~20 s but the 992 wrtc links reached only 848 open after 120 s, after many
// ICE restarts (bench/join-crowd.mjs); that is the mesh core's and wrtc's
// matter, not the signaling server's. 16 members linked up fully in ~6 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSignalServer } from '../support/signal-server.mjs';
import { poll } from '../support/wait.mjs';

const MEMBERS = 32;
const WORKERS = 8;
const worker = fileURLToPath(new URL('../support/mesh-worker.mjs', import.meta.url));

test(`${MEMBERS} members joining one room at once: every pair negotiates, within the default limits`, { timeout: 150000 }, async () => {
  const server = await startSignalServer();
  const children = [];
  const state = [];
  const started = Date.now();
  try {
    const ids = Array.from({ length: MEMBERS }, (_, i) => `m${String(i).padStart(2, '0')}`);
    for (let w = 0; w < WORKERS; w++) {
      const mine = ids.filter((_, i) => i % WORKERS === w);
      const child = fork(worker, [server.url, 'crowd', ...mine], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      state[w] = { open: 0, negotiated: {}, signalingErrors: [], reconnects: 0 };
      child.on('message', (message) => Object.assign(state[w], message));
      children.push(child);
    }
    await poll(() => state.every((s) => s.joined || s.failed), 60000, 'every member to join');
    assert.deepEqual(state.filter((s) => s.failed).map((s) => s.failed), []);
    const joinedMs = Date.now() - started;
    const negotiated = () => state.flatMap((s) => Object.values(s.negotiated));
    await poll(() => negotiated().length === MEMBERS && negotiated().every((n) => n === MEMBERS - 1), 90000,
      'every member to exchange an offer or answer with all 31 others', 250).catch((error) => { throw new Error(`${error.message}: ${JSON.stringify(state.map((s) => s.negotiated))} links ${state.map((s) => s.open)}`); });
    const negotiatedMs = Date.now() - started;
    const links = () => state.reduce((sum, s) => sum + s.open, 0);
    console.log(`join-32: all joined in ${joinedMs} ms, every pair negotiated in ${negotiatedMs} ms, ${links()} of ${MEMBERS * (MEMBERS - 1)} links open after ${Date.now() - started} ms, ${server.stats.framesIn} frames in (${Math.round(server.stats.framesIn / MEMBERS)} per member)`);
    assert.deepEqual(state.flatMap((s) => s.signalingErrors), [], 'no error from the signaling server');
    assert.deepEqual(state.map((s) => s.reconnects), Array(WORKERS).fill(0), 'no signaling socket was closed');
    assert.equal(server.stats.errors, 0);
    assert.ok(links() > 0);
  } finally {
    for (const child of children) if (child.connected) child.send('close');
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)))));
    await server.close();
  }
});
