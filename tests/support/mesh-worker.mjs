// A child process holding some members of a room (a Node process can hold
// only so many RTCPeerConnections: each takes ~55 file descriptors while it
// gathers candidates). Forked with IPC by tests:
//   fork(this file, [url | url,url..., room, id, id, ...])
// It joins all its ids at once, then reports { joined, ms } and every 250 ms
// { open, errors, signalingErrors, reconnects, negotiated }: `negotiated` counts,
// per member, the peers from which an offer or an answer arrived through the
// server. Its members leave TCP candidates out (README, "Many members in one
// Node process"), unless RTCMESH_TCP_CANDIDATES=1. It closes its meshes and exits on 'close' or when its parent goes.
import WebSocket from 'ws';
import { RTCMesh } from 'rtcmesh';
import { RTCPeerConnection } from './mesh-bus.mjs';

const [urlArg, room, ...ids] = process.argv.slice(2);
const url = urlArg.includes(',') ? urlArg.split(',') : urlArg;
const meshes = [];
const errors = [];
const signalingErrors = []; // every error event of the SignalClients
const negotiatedWith = new Map(); // member id -> Set of peers an offer or answer came from
let reconnects = 0;
const failures = {}; // reason of each failed link attempt -> count
const errorCodes = {}; // mesh error code -> count
const started = Date.now();

function report() {
  const open = meshes.reduce((sum, mesh) => sum + mesh.peers.filter((peer) => mesh.readyState(peer) === 'open').length, 0);
  const negotiated = Object.fromEntries([...negotiatedWith].map(([id, peers]) => [id, peers.size]));
  const stuck = process.env.RTCMESH_CROWD_DEBUG
    ? meshes.flatMap((mesh) => mesh.peers.filter((peer) => mesh.readyState(peer) !== 'open').map((peer) => `${mesh.id}>${peer}:${mesh.readyState(peer)}`))
    : undefined;
  process.send?.({ open, errors: errors.slice(-5), errorCount: errors.length, signalingErrors, reconnects, negotiated, failures, errorCodes, stuck });
}

function shutdown() {
  for (const mesh of meshes) mesh.close();
  process.exit(0);
}

process.on('message', (message) => { if (message === 'close') shutdown(); });
process.on('disconnect', shutdown);

try {
  // Listeners go on as each join resolves, before any later frame can arrive.
  await Promise.all(ids.map((id) => RTCMesh.join(url, room, {
    id, WebSocket, RTCPeerConnection, timeoutMs: 30000, reconnectMinMs: 100, reconnectMaxMs: 1000,
    tcpCandidates: process.env.RTCMESH_TCP_CANDIDATES === '1',
  }).then((mesh) => {
    meshes.push(mesh);
    mesh.addEventListener('error', (event) => {
      errors.push({ id: mesh.id, code: event.detail.code, message: event.detail.message });
      errorCodes[event.detail.code] = (errorCodes[event.detail.code] ?? 0) + 1;
    });
    mesh.addEventListener('failed', ({ detail }) => {
      const reason = detail.reason.replace(/\d+/g, 'N');
      failures[reason] = (failures[reason] ?? 0) + 1;
    });
    mesh.signaling.addEventListener('reconnecting', () => reconnects++);
    mesh.signaling.addEventListener('error', (event) => signalingErrors.push({ id: mesh.id, ...event.detail }));
    negotiatedWith.set(mesh.id, new Set());
    mesh.signaling.addEventListener('signal', ({ detail }) => {
      if (detail.data?.kind === 'offer' || detail.data?.kind === 'answer') negotiatedWith.get(mesh.id).add(detail.from);
    });
  })));
  process.send?.({ joined: meshes.length, ms: Date.now() - started });
  setInterval(report, 250);
} catch (error) {
  process.send?.({ failed: `${error.code ?? ''} ${error.message}` });
  shutdown();
}
