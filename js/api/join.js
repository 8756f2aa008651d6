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
import { SignalClient } from '../signal/client.js';
import { RTCMeshError } from './rtc-mesh.js';

function randomId() {
  return globalThis.crypto.randomUUID();
}

/**
 * @param createMesh   (meshOptions) => RTCMesh
 * @returns {Promise<RTCMesh>} with `signaling` set to its SignalClient
 */
export async function joinRoom(url, room, options, createMesh) {
  const { WebSocket, reconnectMinMs, reconnectMaxMs, ...meshOptions } = options ?? {};
  const id = meshOptions.id ?? randomId();
  const signaling = new SignalClient(url, room, id, { WebSocket, reconnectMinMs, reconnectMaxMs });
  let present;
  try {
    present = await joined(signaling);
  } catch (error) {
    signaling.close();
    throw error;
  }
  const mesh = createMesh({ ...meshOptions, id, peers: present });
  mesh.signaling = signaling;
  wire(mesh, signaling);
  return mesh;
}

// The server's refusal of the join (an id already present, a bad name) is
// the join's answer: without this the promise would wait forever. The codes
// match the hardened signaling client's ("id-taken" for a duplicate id).
function joined(signaling) {
  return new Promise((resolve, reject) => {
    const onError = ({ detail }) => {
      if (signaling.joined) return;
      signaling.removeEventListener('error', onError);
      const code = detail.code === 'peer-taken' ? 'id-taken' : detail.code;
      const what = code === 'id-taken' ? `the id "${signaling.peer}" is taken in room "${signaling.room}"` : detail.message;
      reject(new RTCMeshError(code, `RTCMesh.join: ${what}`));
    };
    signaling.addEventListener('error', onError);
    signaling.ready().then(resolve, reject).finally(() => signaling.removeEventListener('error', onError));
  });
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

  mesh.addEventListener('close', () => signaling.close()); // closing the mesh leaves the room
}
