// RTCMesh.join(url, room, options): the one-line way in.
//
// Connects a SignalClient to an rtcmesh signaling server, creates the mesh
// with the room's members as its peers, and wires the mesh's offer, answer
// and icecandidate events to the server and back. Presence from the server
// adds and removes peers at run time.
//
// A peer whose *signaling* socket drops is not torn down while its direct
// link still works: the server's "peer left" only removes peers that have no
// open channel; the others are removed if that channel later goes.
//
// ICE servers the signaling server hands out in its welcome (TURN
// credentials minted for this member) are used with `options.iceServers` by
// every connection; each new welcome (a reconnect) and each refresh the
// server sends before they are half spent replaces them.
import { SignalClient } from '../signal/client.js';
import { RTCMeshError, signalingIceServers } from './rtc-mesh.js';
import { argumentError } from './values.js';

const DEFAULT_TIMEOUT_MS = 10000;

function randomId() {
  return globalThis.crypto.randomUUID();
}

/**
 * Settles within `options.timeoutMs` (default 10 s). On failure it rejects
 * with an RTCMeshError whose `code` says what happened ("unreachable",
 * "not-a-signaling-server", "id-taken", "room-full", "origin-refused", or
 * another server error code), after closing its socket: no member is left
 * behind in the room and nothing keeps the process alive.
 *
 * @param url          a ws:// URL, or several servers sharing rooms
 * @param createMesh   (meshOptions) => RTCMesh
 * @returns {Promise<RTCMesh>} with `signaling` set to its SignalClient
 */
export async function joinRoom(url, room, options, createMesh) {
  const { WebSocket, reconnectMinMs, reconnectMaxMs, timeoutMs = DEFAULT_TIMEOUT_MS, ...meshOptions } = options ?? {};
  if (!(timeoutMs > 0)) throw argumentError(`RTCMesh.join: timeoutMs must be a positive number, got ${String(timeoutMs)}`);
  const id = meshOptions.id ?? randomId();
  const signaling = new SignalClient(url, room, id, { WebSocket, reconnectMinMs, reconnectMaxMs });
  let present;
  try {
    present = await signaling.ready({ timeoutMs });
  } catch (error) {
    signaling.close();
    const code = typeof error.code === 'string' ? error.code : 'unreachable';
    const what = code === 'id-taken' ? `the id "${id}" is taken in room "${room}"` : error.message.replace(/^SignalClient: /, '');
    throw new RTCMeshError(code, `RTCMesh.join: ${what}`);
  }
  let mesh;
  try {
    mesh = createMesh({ ...meshOptions, id, peers: present });
    // Before the mesh's first tick, which makes its first connections.
    mesh[signalingIceServers](signaling.iceServers);
  } catch (error) {
    mesh?.close();
    signaling.close(); // leaves the room at once: no ghost member
    throw error;
  }
  mesh.signaling = signaling;
  wire(mesh, signaling);
  return mesh;
}

function wire(mesh, signaling) {
  const leftSignaling = new Set(); // peers gone from the room whose link was still open
  const ensurePeer = (peer) => {
    if (!mesh.peers.includes(peer)) mesh.addPeer(peer);
  };
  const report = (error) =>
    mesh.dispatchEvent(new CustomEvent('error', { detail: { peer: null, code: error.code ?? 'signaling', message: error.message } }));
  const guarded = (fn) => (event) => {
    if (mesh.closed) return;
    try {
      fn(event.detail);
    } catch (error) {
      report(error);
    }
  };

  mesh.addEventListener('offer', ({ detail }) => signaling.signal(detail.peer, { kind: 'offer', sdp: detail.sdp }));
  mesh.addEventListener('answer', ({ detail }) => signaling.signal(detail.peer, { kind: 'answer', sdp: detail.sdp }));
  mesh.addEventListener('icecandidate', ({ detail }) =>
    signaling.signal(detail.peer, { kind: 'candidate', candidate: detail.candidate }),
  );
  mesh.addEventListener('removechannel', ({ detail }) => {
    if (leftSignaling.delete(detail.peer) && !mesh.closed) mesh.removePeer(detail.peer);
  });

  const useIceServers = guarded(({ iceServers }) => mesh[signalingIceServers](iceServers));
  signaling.addEventListener('open', useIceServers);
  signaling.addEventListener('iceservers', useIceServers);
  signaling.addEventListener('peerjoined', guarded(({ peer }) => {
    leftSignaling.delete(peer);
    ensurePeer(peer);
  }));
  signaling.addEventListener('peerleft', guarded(({ peer }) => {
    if (!mesh.peers.includes(peer)) return;
    if (mesh.readyState(peer) === 'open') leftSignaling.add(peer);
    else mesh.removePeer(peer);
  }));
  signaling.addEventListener('signal', guarded(({ from, data }) => {
    ensurePeer(from);
    switch (data?.kind) {
      case 'offer':
        return mesh.createAnswer(from, data.sdp);
      case 'answer':
        return mesh.addAnswer(from, data.sdp);
      case 'candidate':
        return mesh.addIceCandidate(from, data.candidate);
      default:
        throw Object.assign(new Error(`a signal of unknown kind from ${from}`), { code: 'bad-signal' });
    }
  }));
  signaling.addEventListener('error', ({ detail }) => report(detail));
  signaling.addEventListener('close', ({ detail }) => {
    if (detail.code && !mesh.closed) report({ code: detail.code, message: `signaling closed for good: ${detail.message}` });
  });

  mesh.addEventListener('close', () => signaling.close()); // closing the mesh leaves the room
}
