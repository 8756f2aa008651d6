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
// With `secret` (or `password`), every signal is sealed with the room's key
// (room-seal.js) and a member is added to the mesh only once a sealed hello
// from it opened: members say nothing, not even an offer, to a newcomer that
// lacks the secret, so it learns no SDP and no address. The hello also
// gives the two members a key of their own (RoomSeal.relayKey), under which
// the mesh authenticates the frames a relay carries between them.
//
// ICE servers the signaling server hands out in its welcome (TURN
// credentials minted for this member) are used with `options.iceServers` by
// every connection; each new welcome (a reconnect) and each refresh the
// server sends before they are half spent replaces them.
import { SignalClient, fromBase64, toBase64 } from '../signal/client.js';
import { RTCMeshError, sealedRoom, signalingIceServers, useServerPath } from './rtc-mesh.js';
import { metadataText } from './metadata.js';
import { RoomSeal, createIdentity, identityId } from './room-seal.js';
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
  const { WebSocket, reconnectMinMs, reconnectMaxMs, resumeToken, timeoutMs = DEFAULT_TIMEOUT_MS, secret, password, identity, ...meshOptions } = options ?? {};
  if (!(timeoutMs > 0)) throw argumentError(`RTCMesh.join: timeoutMs must be a positive number, got ${String(timeoutMs)}`);
  const sealed = secret !== undefined || password !== undefined;
  // Checked before joining: a bad secret or metadata leaves no member behind.
  if (sealed) RoomSeal.check(room, { secret, password, identity });
  if (meshOptions.metadata !== undefined) metadataText(meshOptions.metadata, 'RTCMesh.join: options.metadata');
  // In a room with a secret a member without a chosen id takes the one its
  // key pair names, which no one else can claim.
  const key = sealed && meshOptions.id === undefined ? (identity ?? (await createIdentity())) : identity;
  const id = meshOptions.id ?? (sealed ? await identityId(key) : randomId());
  // The room's keys are derived while the server lets us in: both take a
  // while, and each of the joins that follow one another waits for both.
  const sealing = sealed ? RoomSeal.create(room, id, { secret, password, identity: key }) : null;
  sealing?.catch(() => {}); // awaited below, after the welcome; not unhandled meanwhile
  const signaling = new SignalClient(url, room, id, { WebSocket, reconnectMinMs, reconnectMaxMs, token: resumeToken });
  // What the server sends right behind the welcome (one read of the socket
  // can carry a member's offer with it) arrives before the mesh is wired:
  // kept here, and handed to it in order once it is. Lost, that offer left
  // the pair unlinked until the connect timeout.
  const early = [];
  const keep = (event) => early.push(event);
  for (const type of EARLY_EVENTS) signaling.addEventListener(type, keep);
  let present;
  try {
    present = await signaling.ready({ timeoutMs });
  } catch (error) {
    signaling.close();
    const code = typeof error.code === 'string' ? error.code : 'unreachable';
    const what = code === 'id-taken' ? `the id "${id}" is taken in room "${room}"` : error.message.replace(/^SignalClient: /, '');
    throw new RTCMeshError(code, `RTCMesh.join: ${what}`);
  }
  let seal;
  try {
    seal = await sealing;
  } catch (error) {
    signaling.close(); // leaves the room at once: no ghost member
    throw error;
  }
  let mesh;
  try {
    // Sealed rooms admit members by their hellos, not the server's word.
    mesh = createMesh({ ...meshOptions, id, peers: seal ? [] : present, [sealedRoom]: Boolean(seal) });
    // Before the mesh's first tick, which makes its first connections.
    mesh[signalingIceServers](signaling.iceServers);
  } catch (error) {
    mesh?.close();
    signaling.close(); // leaves the room at once: no ghost member
    throw error;
  }
  mesh.signaling = signaling;
  wire(mesh, signaling, seal, meshOptions.lastResort === true);
  for (const type of EARLY_EVENTS) signaling.removeEventListener(type, keep);
  for (const { type, detail } of early) signaling.dispatchEvent(new CustomEvent(type, { detail }));
  if (seal) for (const peer of present) mesh[roomWire].hello(peer);
  return mesh;
}

const roomWire = Symbol('room wire');
const EARLY_EVENTS = ['signal', 'relay', 'peerjoined', 'peerleft'];
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAX_BATCH = 16; // signals per sealed batch: an offer and its candidates stay far under the server's 64 KiB

// Signals to and from the room: plain JSON, or sealed in order per member
// (WebCrypto is asynchronous, and an offer must not overtake the hello
// before it); members' chains run side by side.
function channelOf(signaling, seal, report) {
  if (!seal) {
    return {
      send: (to, body) => signaling.signal(to, body),
      receive: (from, data, handle) => handle(data),
      // The last-resort path: mesh frames through the server as they are.
      frameLimit: (limits) => limits.maxFrameBytes,
      sendFrame: (to, bytes) => signaling.relay(to, bytes),
      receiveFrame: (from, bytes, handle) => handle(bytes),
    };
  }
  const sending = new Map(); // member -> the promise of its last sealed signal out
  const receiving = new Map(); // member -> the promise of its last signal in
  const chain = (chains, member, step) => {
    const next = (chains.get(member) ?? Promise.resolve()).then(step).catch(report);
    chains.set(member, next);
    next.then(() => chains.get(member) === next && chains.delete(member));
  };
  const unreadable = new Set(); // reported once each, until they join again
  // What waits for a member's chain goes out as one sealed batch: trickled
  // candidates come in bursts, and each sealed signal costs a signature and
  // an encryption.
  const batches = new Map(); // member -> batches of bodies not sealed yet, oldest first
  // A member's answer to a newcomer's hello is sealed from the moment the
  // server says it joined, and sent only once its hello opened: the sealing
  // (a signature, then an encryption, each a trip through WebCrypto's thread
  // pool behind a busy event loop) is then off the path of every new link.
  // An outsider never gets it. Anything else sent to that member first
  // drops it: its sequence number would then be out of order.
  const replies = new Map(); // member -> { at, sealed: promise of the envelope, or null if sealing failed }
  const REPLY_FRESH_MS = 60_000;
  const helloReply = () => seal.hello({ reply: true });
  const sealBatch = async (to) => {
    const waiting = batches.get(to);
    const bodies = waiting.shift();
    if (waiting.length === 0) batches.delete(to);
    signaling.signal(to, await seal.seal(to, bodies.length === 1 ? bodies[0] : { kind: 'batch', bodies }));
  };
  return {
    prepareHelloReply(to) {
      replies.set(to, { at: Date.now(), sealed: seal.seal(to, helloReply()).catch(() => null) });
    },
    dropHelloReply(to) {
      replies.delete(to);
    },
    sendHelloReply(to) {
      const reply = replies.get(to);
      replies.delete(to);
      // With signals for it still waiting to be sealed, it queues behind them as any signal does.
      const stale = !reply || Date.now() - reply.at > REPLY_FRESH_MS || batches.has(to);
      if (stale) return this.send(to, helloReply());
      chain(sending, to, async () => {
        signaling.signal(to, (await reply.sealed) ?? (await seal.seal(to, helloReply())));
      });
      return undefined;
    },
    send(to, body) {
      replies.delete(to);
      const waiting = batches.get(to) ?? [];
      batches.set(to, waiting);
      const last = waiting[waiting.length - 1];
      // A hello goes alone: it is the one signal sealed with a signature.
      if (last && last.length < MAX_BATCH && body.kind !== 'hello' && last[0].kind !== 'hello') return void last.push(body);
      waiting.push([body]);
      chain(sending, to, () => sealBatch(to));
    },
    receive(from, data, handle) {
      chain(receiving, from, async () => {
        const body = await seal.open(from, data);
        if (body?.kind === 'batch' && Array.isArray(body.bodies)) return body.bodies.forEach(handle);
        if (body !== null) return handle(body);
        if (unreadable.has(from)) return undefined;
        unreadable.add(from);
        return report(Object.assign(new Error(
          `a signal from "${from}" did not open with this room's secret: it lacks the secret, or the server ` +
            'altered or replayed the signal; ignored',
        ), { code: 'bad_seal', peer: from }));
      });
    },
    // The last-resort path, sealed end to end like the signals and on the
    // same chains, so each member's numbers stay in order. A frame that does
    // not open is dropped: the mesh sends it again. Sealing grows a frame
    // by about 16/9 (base64 twice, then a signature, until the hellos gave
    // the pair a key), hence the limit.
    frameLimit: (limits) => Math.floor(((limits.maxFrameBytes - 1024) * 9) / 16),
    sendFrame(to, bytes) {
      const frame = bytes.slice(); // the core's view is gone after this call
      chain(sending, to, async () => {
        const envelope = await seal.seal(to, { kind: 'frame', data: toBase64(frame) });
        signaling.relay(to, encoder.encode(JSON.stringify(envelope)));
      });
      return true;
    },
    receiveFrame(from, bytes, handle) {
      chain(receiving, from, async () => {
        let envelope = null;
        try {
          envelope = JSON.parse(decoder.decode(bytes));
        } catch {
          return; // not ours
        }
        const body = await seal.open(from, envelope);
        const frame = body?.kind === 'frame' && typeof body.data === 'string' ? fromBase64(body.data) : null;
        if (frame) handle(frame);
      });
    },
    forget(peer) {
      unreadable.delete(peer);
      replies.delete(peer);
      seal.forget(peer);
    },
  };
}

function wire(mesh, signaling, seal, lastResort) {
  const leftSignaling = new Set(); // peers gone from the room whose link was still open
  const refused = new Set(); // ids the core refused (peer_refused): reported once, then ignored
  const admitted = new Set(); // sealed rooms: members whose sealed hello opened
  const report = (error) =>
    mesh.dispatchEvent(new CustomEvent('error', { detail: { peer: error.peer ?? null, code: error.code ?? 'signaling', message: error.message } }));
  const room = channelOf(signaling, seal, report);
  mesh.addEventListener('error', ({ detail }) => {
    if (detail.code === 'peer_refused') refused.add(detail.peer);
  });
  // false for a refused peer: its signals are dropped without a word each.
  const ensurePeer = (peer) => {
    if (refused.has(peer)) return false;
    if (mesh.peers.includes(peer)) return true;
    try {
      mesh.addPeer(peer);
      return true;
    } catch (error) {
      if (error.code !== 'peer_refused') throw error;
      refused.add(peer);
      report({ peer, code: error.code, message: error.message });
      return false;
    }
  };
  const guarded = (fn) => (event) => {
    if (mesh.closed) return;
    try {
      fn(event.detail);
    } catch (error) {
      report(error);
    }
  };
  mesh[roomWire] = { hello: (peer) => room.send(peer, seal.hello()) };
  if (lastResort) mesh[useServerPath](signaling, room);

  mesh.addEventListener('offer', ({ detail }) => room.send(detail.peer, { kind: 'offer', sdp: detail.sdp }));
  mesh.addEventListener('answer', ({ detail }) => room.send(detail.peer, { kind: 'answer', sdp: detail.sdp }));
  mesh.addEventListener('icecandidate', ({ detail }) =>
    room.send(detail.peer, { kind: 'candidate', candidate: detail.candidate }),
  );
  mesh.addEventListener('removechannel', ({ detail }) => {
    if (leftSignaling.delete(detail.peer) && !mesh.closed) return mesh.removePeer(detail.peer);
    // Lost without a goodbye (silence, a failure): ask the server whether
    // the member is still connected to it. A killed process's socket is
    // gone: the server answers peer-away, and the member is removed now
    // instead of when its grace period ends. One that is there ignores it.
    if (!mesh.closed) room.send(detail.peer, { kind: 'probe' });
    return undefined;
  });

  const useIceServers = guarded(({ iceServers }) => mesh[signalingIceServers](iceServers));
  signaling.addEventListener('open', useIceServers);
  signaling.addEventListener('iceservers', useIceServers);
  signaling.addEventListener('open', guarded(({ peers, resumed }) => {
    // A sealed room's member that joined afresh (its old id expired) says hello again.
    if (seal && !resumed) for (const peer of peers) room.send(peer, seal.hello());
  }));
  signaling.addEventListener('peerjoined', guarded(({ peer }) => {
    leftSignaling.delete(peer);
    refused.delete(peer); // a new member under that id may be someone else
    admitted.delete(peer);
    room.forget?.(peer);
    // A sealed room waits for its hello. Members present when we joined
    // (olderPeers) answer ours instead, so they need no answer of ours.
    if (!seal) ensurePeer(peer);
    else if (!signaling.olderPeers.has(peer)) room.prepareHelloReply(peer);
  }));
  signaling.addEventListener('peerleft', guarded(({ peer }) => {
    room.dropHelloReply?.(peer);
    if (!mesh.peers.includes(peer)) return;
    if (mesh.readyState(peer) === 'open') leftSignaling.add(peer);
    else mesh.removePeer(peer);
  }));
  const handle = (from, data) => {
    if (mesh.closed) return;
    if (seal && data?.kind === 'hello') {
      if (ensurePeer(from)) {
        admitted.add(from);
        mesh.setRelayKey(from, seal.relayKey(from)); // frames relayed between us carry a MAC under it
      }
      if (!data.reply) room.sendHelloReply(from);
      return;
    }
    if (seal ? !admitted.has(from) : !ensurePeer(from)) return;
    switch (data?.kind) {
      case 'offer':
        return mesh.createAnswer(from, data.sdp);
      case 'answer':
        return mesh.addAnswer(from, data.sdp);
      case 'candidate':
        return mesh.addIceCandidate(from, data.candidate);
      case 'probe': // are you there? (see removechannel above): the server's delivery is the answer
        return undefined;
      default:
        throw Object.assign(new Error(`a signal of unknown kind from ${from}`), { code: 'bad-signal' });
    }
  };
  signaling.addEventListener('signal', guarded(({ from, data }) =>
    room.receive(from, data, (body) => {
      try {
        handle(from, body);
      } catch (error) {
        report(error);
      }
    }),
  ));
  // A signal to a member that left the room (or is reconnecting to the
  // server) comes back refused: its peerleft and removal are the events that
  // say so, not each refused offer or candidate. The core's retries re-send.
  // relay-limit: the last-resort path is past the server's byte rate; the
  // mesh sends the dropped frames again, so that is flow control, not news.
  const refusedSignals = new Set(['unknown-peer', 'peer-away', 'relay-limit']);
  signaling.addEventListener('error', ({ detail }) => {
    // A member whose link is down and whose socket is gone has left: no
    // need to wait out its grace period (it is added again if it comes back).
    if (detail.code === 'peer-away' && mesh.peers.includes(detail.peer) && mesh.readyState(detail.peer) !== 'open' && !mesh.closed) {
      mesh.removePeer(detail.peer);
    }
    if (!(refusedSignals.has(detail.code) && detail.peer !== undefined)) report(detail);
  });
  signaling.addEventListener('close', ({ detail }) => {
    if (detail.code && !mesh.closed) report({ code: detail.code, message: `signaling closed for good: ${detail.message}` });
  });

  mesh.addEventListener('close', () => signaling.close()); // closing the mesh leaves the room
  // A page that goes away says goodbye: the others drop its links at once
  // instead of waiting for ICE to notice.
  if (typeof globalThis.addEventListener === 'function') {
    const leave = () => mesh.close();
    globalThis.addEventListener('pagehide', leave);
    mesh.addEventListener('close', () => globalThis.removeEventListener('pagehide', leave));
  }
}
