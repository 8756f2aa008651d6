// A member whose process is killed (no goodbye, its signaling socket cut) is
// removed by the others once its link goes silent: they ask the server, which
// no longer has its socket, instead of waiting out its grace period.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { RTCMesh } from 'rtcmesh';
import { startSignalServer } from '../../js/signal/server.js';
import { RTCPeerConnection } from '../support/mesh-bus.mjs';
import { poll } from '../support/wait.mjs';

const memberScript = fileURLToPath(new URL('../support/room-member.mjs', import.meta.url));

test('a killed member is removed after its link goes silent, not after the server\'s grace period', { timeout: 90000 }, async () => {
  // A grace period far longer than the wait below: only the probe can explain a prompt removal.
  const server = await startSignalServer({ limits: { resumeGraceMs: 120000 } });
  const meshes = [];
  const child = spawn(process.execPath, [memberScript, 'rtcmesh', server.url, 'room', 'b'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let links = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const match = /^linked (\d+)$/.exec(line);
    if (match) links = Number(match[1]);
  });
  try {
    for (const id of ['a', 'c']) meshes.push(await RTCMesh.join(server.url, 'room', { id, WebSocket, RTCPeerConnection }));
    const seen = meshes.map((mesh) => {
      const events = [];
      for (const type of ['removechannel', 'peerremoved']) mesh.addEventListener(type, ({ detail }) => events.push([type, detail.peer]));
      return events;
    });
    await poll(() => links === 2 && meshes.every((mesh) => mesh.readyState('b') === 'open'), 30000, 'three linked members');
    child.kill('SIGKILL');
    await poll(() => meshes.every((mesh) => !mesh.peers.includes('b')), 20000, 'both to remove the killed member');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const events of seen) {
      assert.deepEqual(events.filter(([, peer]) => peer === 'b').map(([type]) => type), ['removechannel', 'peerremoved'], 'once each');
    }
    assert.deepEqual(server.peersIn('room').sort(), ['a', 'b', 'c'], 'the server still holds b for its grace period');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const mesh of meshes) mesh.close();
    await server.close();
  }
});
