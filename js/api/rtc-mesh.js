// RTCMesh: the seed's full-mesh WebRTC class, on the wasm mesh core.
//
// The core (src/core/mesh) decides everything: who offers, perfect
// negotiation, recovery, chunking, acks, relaying. This class validates
// arguments, moves bytes in and out of the core, runs the core's WebRTC
// commands through the shim (js/shim/webrtc-host.js), ticks the core's clock,
// and turns the core's events into DOM events.
//
// Events (all but `message` are CustomEvents with data in `detail`):
//   offer         { peer, sdp }        deliver to that peer's createAnswer(ourId, sdp)
//   answer        { peer, sdp }        deliver to that peer's addAnswer(ourId, sdp)
//   icecandidate  { peer, candidate }  deliver to that peer's addIceCandidate(ourId, candidate);
//                                       candidate is an RTCIceCandidateInit, or null at the end
//   disconnected  { peer }             ICE lost connectivity; the offering side restarts ICE at once
//   failed        { peer, reason }     a connection attempt failed; it will be retried with backoff
//   reconnecting  { peer, attempt }    a new connection to peer is being made
//   icerestart    { peer }             an ICE-restart offer is being made
//   addchannel    { peer }             a direct channel to peer is open
//   removechannel { peer }             an open channel to peer is gone
//   relay         { peer, via, server } traffic to peer now travels through member `via`, or
//                                       through the signaling server (`server`: the
//                                       last-resort path); via null and server false: direct again
//   message       MessageEvent: `data` (string or ArrayBuffer), `origin` (sender id)
//   error         { code, message, peer }  something failed that no call could report;
//                                       code "ice_server" adds { url, errorCode } (401: the
//                                       TURN server refused the credentials)
//   peeradded     { peer, metadata }   addPeer() (or the room) added a node to the network
//   metadata      { peer, metadata }   a peer's metadata arrived, or changed
//   peerremoved   { peer }             removePeer() (or the room) removed one
//   bufferedamountlow { peer }         bufferedAmount(peer) fell to bufferedAmountLowThreshold or below
//   track         { peer, track, streams }  a peer's media track arrived (addTrack on its side)
//   trackended    { peer, track }    it went: the peer removed it, or the connection closed
//   mediarelayed  { peer, via }      our tracks for peer stop flowing: it is reached only through
//                                       a relay (`via`, null: the signaling server), and media is never
//                                       relayed; `relay` with via null says when it is direct again
//   close         {}                 the mesh was closed (close() without a peer)
import { loadCore, loadedCore } from './core-module.js';
import { joinRoom } from './join.js';
import { createIdentity, createSecret, identityId, inviteLink, readInvite } from './room-seal.js';
import { metadataText, parseMetadata } from './metadata.js';
import { MeshChannel, channelOptions } from './mesh-channel.js';
import { trackArguments } from './media.js';
import { argumentError, describe, randomSeed } from './values.js';
import { candidateOf, payloadOf, requireString, sdpOf } from './mesh-arguments.js';
import { WebRtcHost } from '../shim/webrtc-host.js';
import { HostInbox } from '../shim/host-inbox.js';
import { MeshPump } from './mesh-pump.js';

const textDecoder = new TextDecoder();

let names = null;
/** The core's names of packed kinds, read once. */
function kindNames() {
  names ??= loadedCore().meshKindNames(); // only called by a mesh, so the core is loaded
  return names;
}

/**
 * For Raft over the mesh, not for applications: mesh[sessionPort]() returns
 * { core, flush(), onFlushed(handler) -> unlisten }. `core` is the wasm mesh,
 * whose session (src/core/session/) runs the Raft node: Raft's messages
 * travel in the mesh's system lane without leaving wasm. `flush()` runs the
 * commands a Raft advance() left; `onFlushed` handlers run after every flush,
 * when the session may have stepped Raft messages into the node.
 */
export const sessionPort = Symbol('rtcmesh.sessionPort');

/**
 * For RTCMesh.join, not for applications: mesh[signalingIceServers](list)
 * sets the ICE servers the signaling server handed out (TURN credentials in
 * its welcome), used with options.iceServers by every connection made from
 * then on, and applied to the open ones for their next ICE restart.
 */
export const signalingIceServers = Symbol('rtcmesh.signalingIceServers');
export const useServerPath = Symbol('rtcmesh.useServerPath');
// For RTCMesh.join with a secret: options[sealedRoom] = true makes the core
// admit a member to Raft only once it proved the key it shares with us.
export const sealedRoom = Symbol('rtcmesh.sealedRoom');

const ICE_TRANSPORT_POLICIES = ['all', 'relay'];

// How long createOffer()/createAnswer() wait for their description. Making
// one takes milliseconds; none comes when perfect negotiation drops a
// colliding offer, and the promise must not wait forever then.
const DESCRIPTION_TIMEOUT_MS = 20000;

/** An error from a mesh call; `code` is one of the core's error codes (e.g. "unknown_peer"). */
export class RTCMeshError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'RTCMeshError';
    this.code = code;
  }
}

// A page whose network changes (back online, another connection type) tells
// the core, whose offering side then restarts ICE at once. Returns the undo.
function watchNetwork(changed) {
  const targets = [];
  if (typeof globalThis.addEventListener === 'function') targets.push([globalThis, 'online']);
  const connection = globalThis.navigator?.connection;
  if (typeof connection?.addEventListener === 'function') targets.push([connection, 'change']);
  for (const [target, type] of targets) target.addEventListener(type, changed);
  return () => {
    for (const [target, type] of targets) target.removeEventListener(type, changed);
  };
}

export class RTCMesh extends EventTarget {
  #module;
  #core;
  #inbox;
  #host;
  #pump; // mesh-pump.js: the one loop between the core and the page
  #closed = false;
  #peers;
  #lowThreshold = 1024 * 1024; // the core's default too
  #iceTransportPolicy;
  #signalingIceServers = [];
  #iceServerFailures = new Set(); // "url errorCode" already reported
  #unwatchNetwork = () => {};
  #ownMetadata = undefined;
  #serverSend = () => false; // (peer, bytes): the last-resort path, once joined through a server that relays
  #metadata = new Map(); // peer -> its metadata, as it last sent it
  #early = []; // dispatches of events read before the first tick, which makes them (null after it)
  #channels = new Map(); // name -> MeshChannel open here
  #tracks = new Map(); // the handle addTrack returned -> the core's number for its track
  #lastTrack = 0;

  /**
   * @param {object} options
   * @param {string} options.id            this node's address
   * @param {string[]} [options.peers]     every node of the network (may include id)
   * @param {string} [options.label]       data channel label (devtools)
   * @param {RTCIceServer[]} [options.iceServers]
   * @param {'all' | 'relay'} [options.iceTransportPolicy='all'] 'relay': only
   *   TURN-relayed candidates (every link goes through a TURN server)
   * @param {boolean} [options.relay=true] route around broken links through a common peer
   * @param {boolean} [options.tcpCandidates=true] false: ICE-TCP candidates are neither
   *   sent nor used (UDP, and TURN, only). For a Node process holding many links:
   *   @roamhq/wrtc's TCP candidates can cost more CPU than everything else
   *   (see README, "Many members in one Node process")
   * @param {number} [options.maxMessageBytes=67108864]
   * @param {Function} [options.RTCPeerConnection] the implementation (Node: wrtc's)
   * @param {number} [options.seed]        seed of the core's randomness (reproducible runs)
   * @param {number} [options.connectTimeoutMs=15000] a link attempt whose channel has not
   *   opened by then is closed and retried with backoff; raise it when many
   *   links form at once on a slow machine, where attempts take longer
   * @param {number} [options.silenceTimeoutMs=5500] a peer from which nothing arrived for this
   *   long (the core sends a keep-alive on a link quiet for half of it, or for 2.5 s less
   *   when that is longer, at most 3 s: 3 s by default) loses its link
   *   (removechannel, failed) and is redialled: how fast a vanished peer is noticed
   * @param {boolean} [options.lastResort=false] with RTCMesh.join and a signaling server
   *   started with `relay`: a peer no link and no relay member reaches gets
   *   its traffic through the server (a `relay` event with `server: true`)
   * @param {*} [options.metadata] a JSON value shared with every member (at most 4096
   *   bytes as JSON): mesh.metadata(peer) and the `metadata` event on theirs
   */
  constructor(options = {}) {
    super();
    // First, so that a missing core is reported as such whatever the options.
    const module = loadedCore((message) => new RTCMeshError('not_ready', `RTCMesh: ${message}`));
    if (typeof options !== 'object' || options === null) throw argumentError('RTCMesh: options must be an object');
    const id = requireString(options.id, 'options.id');
    const peers = options.peers ?? [];
    if (!Array.isArray(peers)) throw argumentError(`RTCMesh: options.peers must be an array of ids, got ${describe(peers)}`);
    peers.forEach((peer, index) => requireString(peer, `options.peers[${index}]`));
    const iceServers = options.iceServers ?? [];
    if (!Array.isArray(iceServers)) throw argumentError('RTCMesh: options.iceServers must be an array');
    const iceTransportPolicy = options.iceTransportPolicy ?? 'all';
    if (!ICE_TRANSPORT_POLICIES.includes(iceTransportPolicy)) {
      throw argumentError(`RTCMesh: options.iceTransportPolicy must be "all" or "relay", got ${describe(iceTransportPolicy)}`);
    }
    const RTCPeerConnectionImpl = options.RTCPeerConnection ?? globalThis.RTCPeerConnection;
    if (typeof RTCPeerConnectionImpl !== 'function') {
      throw argumentError('RTCMesh: no RTCPeerConnection here; pass options.RTCPeerConnection (in Node, from @roamhq/wrtc)');
    }
    for (const name of ['maxMessageBytes', 'maxQueuedBytesPerPeer', 'maxPeers', 'seed']) {
      if (options[name] !== undefined && !(Number.isSafeInteger(options[name]) && options[name] >= 0)) {
        throw argumentError(`RTCMesh: options.${name} must be a non-negative integer`);
      }
    }
    if (options.connectTimeoutMs !== undefined && !(Number.isSafeInteger(options.connectTimeoutMs) && options.connectTimeoutMs > 0)) {
      throw argumentError('RTCMesh: options.connectTimeoutMs must be a positive integer (milliseconds)');
    }
    if (options.tcpCandidates !== undefined && typeof options.tcpCandidates !== 'boolean') {
      throw argumentError(`RTCMesh: options.tcpCandidates must be a boolean, got ${describe(options.tcpCandidates)}`);
    }
    const metadata = options.metadata === undefined ? null : metadataText(options.metadata, 'RTCMesh: options.metadata');
    const silence = options.silenceTimeoutMs;
    if (silence !== undefined && !(Number.isSafeInteger(silence) && silence >= 300)) {
      throw argumentError('RTCMesh: options.silenceTimeoutMs must be an integer of at least 300 (milliseconds)');
    }

    this.#core = new module.Mesh(
      {
        id,
        peers,
        label: options.label ?? 'rtcmesh',
        iceServersJson: JSON.stringify(iceServers),
        relay: options.relay ?? true,
        serverPath: options.lastResort === true,
        membersProveKeys: options[sealedRoom] === true,
        tcpCandidates: options.tcpCandidates ?? true,
        maxMessageBytes: options.maxMessageBytes,
        maxQueuedBytesPerPeer: options.maxQueuedBytesPerPeer,
        maxPeers: options.maxPeers,
        connectTimeoutMs: options.connectTimeoutMs, // the core's default (15 s) when absent
        silenceTimeoutMs: silence,
      },
      options.seed ?? randomSeed(),
    );
    const problem = this.#core.initStatus();
    if (problem) {
      this.#core.delete();
      this.#closed = true;
      throw new RTCMeshError(problem.code, `RTCMesh: ${problem.message}`);
    }
    if (metadata !== null) {
      this.#core.setMetadata(metadata);
      this.#ownMetadata = JSON.parse(metadata);
    }
    this.id = id;
    this.label = options.label ?? 'rtcmesh';
    this.#peers = new Set(peers.filter((peer) => peer !== id));
    this.#module = module;
    this.#inbox = new HostInbox(this.#core, module);
    this.#pump = new MeshPump({
      module,
      inbox: this.#inbox,
      names: kindNames,
      readEvents: (reader) => this.#dispatchEvents(reader),
      alive: () => this.#core !== null,
      open: () => !this.#closed,
    });
    this.#iceTransportPolicy = iceTransportPolicy;
    this.#host = new WebRtcHost(this.#inbox, RTCPeerConnectionImpl, () => this.#flush(), {
      received: () => this.#pump.framesArrived(),
      configure: (coreIceServers) => ({
        iceServers: [...coreIceServers, ...this.#signalingIceServers],
        iceTransportPolicy: this.#iceTransportPolicy,
      }),
      iceServerError: (failure) => this.#iceServerFailed(failure),
      sendViaServer: (peer, bytes) => this.#serverSend(peer, bytes),
      track: (detail) => this.#emit('track', detail),
      trackEnded: (detail) => this.#emit('trackended', detail),
    });
    this.#pump.host = this.#host;
    // Offers are made from the first tick, and events the core made before
    // it (a refused peer id, say) wait for it: a macrotask later, so a
    // caller of `await RTCMesh.join()` has added its listeners by then too.
    this.#flush();
    setTimeout(() => {
      const early = this.#early;
      this.#early = null;
      for (const dispatch of early) if (this.#core) dispatch();
      this.#pump.tick();
    }, 0);
    this.#unwatchNetwork = watchNetwork(() => {
      if (!this.#closed) this.#call('networkChanged');
    });
  }

  /** bufferedamountlow fires when a peer's bufferedAmount falls to this (bytes). */
  get bufferedAmountLowThreshold() {
    return this.#lowThreshold;
  }
  set bufferedAmountLowThreshold(bytes) {
    if (!(Number.isSafeInteger(bytes) && bytes >= 0)) {
      throw argumentError(`RTCMesh: bufferedAmountLowThreshold must be a non-negative integer of bytes, got ${describe(bytes)}`);
    }
    this.#lowThreshold = bytes;
    if (!this.#closed) this.#core.setBufferedLowThreshold(bytes);
  }

  /** The other nodes this mesh connects to. */
  get peers() {
    return [...this.#peers];
  }

  get closed() {
    return this.#closed;
  }

  /** How many RTCPeerConnections are open right now (leak checks, stats). */
  get openPeerConnections() {
    return this.#host?.openPeerConnections ?? 0;
  }

  // ---- the seed's methods -------------------------------------------------

  /**
   * Makes (again) an offer to `peer`. Resolves to it ({ type: 'offer', sdp }),
   * which also arrives as an `offer` event.
   */
  createOffer(peer) {
    requireString(peer, 'peer');
    return this.#describing('offer', peer, () => this.#call('createOffer', peer));
  }

  /**
   * Answers `peer`'s offer. Resolves to the answer ({ type: 'answer', sdp }),
   * which also arrives as an `answer` event.
   */
  createAnswer(peer, offer) {
    requireString(peer, 'peer');
    const sdp = sdpOf(offer, 'offer');
    return this.#describing('answer', peer, () => this.#call('createAnswer', peer, sdp));
  }

  addAnswer(peer, answer) {
    this.#call('addAnswer', requireString(peer, 'peer'), sdpOf(answer, 'answer'));
  }

  addIceCandidate(peer, candidate) {
    this.#call('addIceCandidate', requireString(peer, 'peer'), candidateOf(candidate));
  }

  /** Sends to every peer reachable now (directly or through a relay) or whose link is being made. */
  broadcast(data) {
    this.#sendPayload(payloadOf(data), null);
  }

  /** Sends to one peer. Throws RTCMeshError `queue_full` when its send queue is full. */
  send(peer, data) {
    requireString(peer, 'peer');
    this.#sendPayload(payloadOf(data), peer);
  }

  /**
   * A named channel: `send(peer, data)`, `broadcast(data)` and its own
   * `message` events, apart from the mesh's and other channels'. Options as
   * RTCDataChannelInit's: the default (ordered, reliable) rides the mesh's
   * frames; `ordered: false` or a `maxRetransmits` gets a data channel of its
   * own on every direct link (never relayed; messages up to 65535 bytes).
   * Peers open the same name with the same options; what they send before
   * it is opened here waits for it. The same name again returns the same
   * channel.
   */
  channel(name, options = {}) {
    requireString(name, 'name');
    const spec = channelOptions(options, 'RTCMesh.channel');
    this.#ensureOpen();
    const open = this.#channels.get(name);
    if (open) {
      if (open.ordered === spec.ordered && open.maxRetransmits === spec.maxRetransmits) return open;
      throw new RTCMeshError('bad_argument', `RTCMesh.channel: channel "${name}" is open already with other options; close it first`);
    }
    const channel = new MeshChannel(name, spec, (peer, data) => {
      if (channel.closed) throw new RTCMeshError('closed', `MeshChannel: channel "${name}" is closed`);
      this.#sendPayload(payloadOf(data), peer, name);
    }, () => {
      if (this.#channels.get(name) !== channel) return;
      this.#channels.delete(name);
      if (this.#closed) return;
      this.#inbox.closeChannel(name);
      this.#flush();
    });
    this.#inbox.openChannel(name, spec.ordered, spec.maxRetransmits);
    const problem = this.#pump.exchange(false).status; // applied now; what it released waits for a flush
    if (problem) {
      channel.markClosed();
      throw new RTCMeshError(problem.code, `RTCMesh.channel: ${problem.message}`);
    }
    this.#channels.set(name, channel);
    // Messages that waited for the channel are dispatched after the caller's
    // synchronous code, so listeners added right after this call get them.
    queueMicrotask(() => {
      if (!this.#closed) this.#flush();
    });
    return channel;
  }

  /**
   * Sends a media track to every peer, now and as they come (or, with
   * `{ peer }` as the last argument, to that one), on each direct link:
   * the core adds it to the connections and renegotiates. Returns a handle
   * for removeTrack(). The receivers get a `track` event.
   */
  addTrack(track, ...rest) {
    const { streams, peer } = trackArguments(track, rest);
    this.#ensureOpen();
    const number = ++this.#lastTrack;
    this.#host.media.setTrack(number, track, streams);
    try {
      this.#call('addTrack', number, peer ?? '');
    } catch (error) {
      this.#host.media.deleteTrack(number);
      throw error;
    }
    const handle = Object.freeze({ track, streams, peer });
    this.#tracks.set(handle, number);
    return handle;
  }

  /** Stops sending what addTrack() sent; the receivers get `trackended`. */
  removeTrack(handle) {
    const number = this.#tracks.get(handle);
    if (number === undefined) throw argumentError(`RTCMesh.removeTrack: ${describe(handle)} is not a handle addTrack() returned, or it was removed`);
    this.#ensureOpen();
    this.#tracks.delete(handle);
    this.#call('removeTrack', number); // runs its remove_track commands
    this.#host.media.deleteTrack(number);
  }

  /**
   * The media tracks peers send us now, as their `track` events gave them:
   * [{ peer, track, streams }] (with `peer`, that peer's only). For a view
   * made after the tracks arrived, since events are not replayed.
   */
  remoteTracks(peer) {
    if (peer !== undefined) requireString(peer, 'peer');
    const all = this.#closed ? [] : this.#host.media.received();
    return peer === undefined ? all : all.filter((entry) => entry.peer === peer);
  }

  /** "new" | "connecting" | "open" | "closing" | "closed" for the channel to `peer`. */
  readyState(peer) {
    requireString(peer, 'peer');
    return this.#closed ? 'closed' : this.#core.readyState(peer);
  }

  /**
   * The RTCDataChannel to `peer` (or null), for inspection: it carries
   * rtcmesh frames, so send through the mesh, not on the channel.
   */
  user_channel(peer) {
    requireString(peer, 'peer');
    if (this.#closed) return null;
    return this.#host.channel(this.#core.userChannel(peer));
  }

  /**
   * Bytes sent to `peer` and not yet acknowledged by it: what a sender should
   * watch, with the bufferedamountlow event, to stream without hitting
   * `queue_full`.
   */
  bufferedAmount(peer) {
    requireString(peer, 'peer');
    return this.#closed ? 0 : this.#core.queuedBytes(peer);
  }

  /** Whether traffic to `peer` currently travels through another peer. */
  relayed(peer) {
    requireString(peer, 'peer');
    return !this.#closed && this.#core.relayed(peer);
  }

  /**
   * close(peer): closes the connection to one peer (the seed's meaning).
   * close(): closes every connection and the mesh itself.
   */
  close(peer) {
    if (peer !== undefined) {
      this.#call('closePeer', requireString(peer, 'peer'));
      return;
    }
    if (this.#closed) return;
    this.#closed = true; // first, so listeners of the events below see a closed mesh
    for (const channel of this.#channels.values()) channel.markClosed();
    this.#unwatchNetwork();
    this.#pump.stop();
    this.#core.close();
    this.#flush(); // runs the close commands and delivers removechannel events
    this.#host.closeAll();
    this.#core.delete();
    this.#core = null;
    for (const [key, waiting] of [...this.#describingNow]) {
      const method = key.startsWith('offer ') ? 'createOffer' : 'createAnswer';
      for (const settle of [...waiting]) settle(new RTCMeshError('closed', `RTCMesh.${method}: the mesh closed first`));
    }
    this.#emit('close', {});
  }

  /** 256 random bits, URL-safe: a room secret for `join(url, room, { secret })`. */
  static createSecret() {
    return createSecret();
  }

  /** A member's signing key pair for `join(url, room, { secret, identity })`; IndexedDB can store it. */
  static createIdentity() {
    return createIdentity();
  }

  /**
   * The id that belongs to an identity ("key-" and 160 bits of its public
   * key's SHA-256): what `join(url, room, { secret, identity })` takes when
   * no `id` is given. In a room with a secret no one else can join under it.
   */
  static identityId(identity) {
    return identityId(identity);
  }

  /** `pageUrl` with room and secret in its fragment, which browsers never send to a server. */
  static inviteLink(pageUrl, room, secret) {
    return inviteLink(pageUrl, room, secret);
  }

  /** `{ room, secret }` from an invite link (such as `location.href`), or null. */
  static readInvite(link) {
    return readInvite(link);
  }

  /**
   * Joins `room` on an rtcmesh signaling server and returns the mesh of its
   * members, kept up to date as they come and go.
   * @param {string} url ws:// or wss:// address of the server
   * @param {string} room
   * @param {object} [options] RTCMesh options (`id` defaults to a random UUID),
   *   plus `WebSocket` (Node: from "ws"), `reconnectMinMs`, `reconnectMaxMs`,
   *   `secret` or `password` (a closed room), `identity`
   * @returns {Promise<RTCMesh>} with `signaling` (the SignalClient)
   */
  static join(url, room, options = {}) {
    // The core is awaited before the room is joined: a core that cannot load
    // then leaves no member behind, and "rtcmesh/async" needs no ready().
    return loadCore().then(() => joinRoom(url, room, options, (meshOptions) => new RTCMesh(meshOptions)));
  }

  // ---- beyond the seed ----------------------------------------------------

  /**
   * This member's metadata (`peer` omitted), or what `peer` shared; undefined
   * when none is set or none arrived yet.
   */
  metadata(peer = this.id) {
    requireString(peer, 'peer');
    return peer === this.id ? this.#ownMetadata : this.#metadata.get(peer);
  }

  /** Shares `value` (JSON, at most 4096 bytes as JSON) with every member, now and as they come. */
  setMetadata(value) {
    const text = metadataText(value, 'RTCMesh.setMetadata: value');
    this.#call('setMetadata', text);
    this.#ownMetadata = JSON.parse(text);
  }

  /**
   * Resolves once the link to every current member is open (waitToJoin in
   * peerjs-mesh): at once for a mesh alone. Rejects with an RTCMeshError,
   * code "timeout", after `timeoutMs` (default 30 s), or "closed".
   */
  connected({ timeoutMs = 30000 } = {}) {
    if (!(timeoutMs > 0)) throw argumentError(`RTCMesh.connected: timeoutMs must be a positive number, got ${describe(timeoutMs)}`);
    return new Promise((resolve, reject) => {
      const types = ['addchannel', 'peeradded', 'peerremoved', 'close'];
      const done = (settle, value) => {
        clearTimeout(timer);
        for (const type of types) this.removeEventListener(type, check);
        settle(value);
      };
      const check = () => {
        if (this.#closed) return done(reject, new RTCMeshError('closed', 'RTCMesh.connected: the mesh closed'));
        if (this.peers.every((peer) => this.readyState(peer) === 'open')) done(resolve, this.peers);
      };
      const timer = setTimeout(() => {
        const missing = this.peers.filter((peer) => this.readyState(peer) !== 'open');
        done(reject, new RTCMeshError('timeout', `RTCMesh.connected: no open link to ${missing.join(', ')} within ${timeoutMs} ms`));
      }, timeoutMs);
      for (const type of types) this.addEventListener(type, check);
      check();
    });
  }

  /** Adds a node to the network at run time; the lower id offers. */
  addPeer(peer) {
    this.#call('addPeer', requireString(peer, 'peer'));
    if (this.#peers.has(peer)) return;
    this.#peers.add(peer);
    this.#emit('peeradded', { peer, metadata: this.#metadata.get(peer) });
  }

  /**
   * The 32-byte key (a Uint8Array) this node shares with `peer` and no one
   * else: frames between the two that travel through a relay (or the
   * server's last-resort path) then carry a MAC under it, so a relay can drop
   * them but not alter or invent them. And each link to `peer` that opens
   * from then on is used only once the peer proved the key over it, bound to
   * the DTLS fingerprints both ends see (a `bad_link_proof` error otherwise):
   * a party in the middle of the connection is found out. Both ends must set
   * it. `join(..., { secret })` sets it for every member; a hand-wired mesh
   * gets one from RoomSeal's relayKey(peer).
   */
  setRelayKey(peer, key) {
    requireString(peer, 'peer');
    if (!(key instanceof Uint8Array) || key.length !== 32) {
      throw argumentError(`RTCMesh: a relay key must be a Uint8Array of 32 bytes, got ${describe(key)}`);
    }
    this.#call('setRelayKey', peer, key);
  }

  /** Removes a node: its connection is closed and it is no longer dialled. */
  removePeer(peer) {
    this.#call('removePeer', requireString(peer, 'peer'));
    this.#peers.delete(peer);
    this.#metadata.delete(peer);
    this.#emit('peerremoved', { peer });
  }

  // ---- plumbing -------------------------------------------------------------

  // Runs `start` (which throws for bad input, synchronously, as before) and
  // resolves with the next `type` event for `peer`. It rejects with an
  // RTCMeshError if the mesh closes or none comes in time; callers that
  // ignore the promise (the seed's style) see no unhandled rejection.
  // The calls of createOffer/createAnswer waiting for their description, by
  // `${type} ${peer}`: settled from #dispatch, not by a listener each (31
  // offers at once in a big room would read as a listener leak in Node).
  #describingNow = new Map();

  #describing(type, peer, start) {
    const key = `${type} ${peer}`;
    const waiting = this.#describingNow.get(key) ?? new Set();
    this.#describingNow.set(key, waiting);
    let settle;
    const described = new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(new RTCMeshError('timeout', `RTCMesh: no ${type} for ${peer} within ${DESCRIPTION_TIMEOUT_MS} ms (a colliding negotiation may have superseded it)`)), DESCRIPTION_TIMEOUT_MS);
      timer.unref?.(); // in Node, a pending description does not keep the process alive
      // (sdp: string) resolves; (error) rejects; (null) only forgets the call.
      settle = (outcome) => {
        clearTimeout(timer);
        waiting.delete(settle);
        if (waiting.size === 0 && this.#describingNow.get(key) === waiting) this.#describingNow.delete(key);
        if (typeof outcome === 'string') resolve({ type, sdp: outcome });
        else if (outcome) reject(outcome);
      };
      waiting.add(settle);
    });
    described.catch(() => {});
    try {
      start();
    } catch (error) {
      settle(null);
      throw error;
    }
    return described;
  }

  #described(type, peer, sdp) {
    for (const settle of [...(this.#describingNow.get(`${type} ${peer}`) ?? [])]) settle(sdp);
  }

  #ensureOpen() {
    if (this.#closed) throw new RTCMeshError('closed', 'RTCMesh: the mesh is closed');
  }

  #call(method, ...args) {
    this.#ensureOpen();
    const problem = this.#core[method](...args);
    this.#flush();
    if (problem) throw new RTCMeshError(problem.code, `RTCMesh.${method}: ${problem.message}`);
  }

  // The last-resort path through `signaling` (RTCMesh.join with lastResort):
  // the core learns when the server relays, hands its frames to it, and
  // gets what the server relayed to us. `path` (join.js) seals the frames
  // in rooms with a secret: { frameLimit(limits), sendFrame, receiveFrame }.
  [useServerPath](signaling, path) {
    const state = () => {
      const limits = signaling.joined ? signaling.relayLimits : null;
      if (this.#closed) return;
      this.#inbox.serverPath(limits !== null, limits ? path.frameLimit(limits) : 0, limits?.bytesPerSecond ?? 0);
      this.#flush();
    };
    const arrived = ({ detail: { from, bytes } }) => path.receiveFrame(from, bytes, (frame) => {
      if (this.#closed) return;
      this.#inbox.serverFrame(from, frame);
      this.#flush();
    });
    for (const type of ['open', 'reconnecting', 'close']) signaling.addEventListener(type, state);
    signaling.addEventListener('relay', arrived);
    this.#serverSend = (peer, bytes) => path.sendFrame(peer, bytes);
    state();
  }

  [signalingIceServers](servers) {
    this.#signalingIceServers = [...servers];
    this.#iceServerFailures.clear(); // new credentials: a refusal of them is news
    if (!this.#closed) this.#host.reconfigure();
  }

  // A STUN/TURN server failed (401: wrong or expired credentials; 701: not
  // reached). Reported once per server and code, not once per connection.
  #iceServerFailed({ url, errorCode, errorText }) {
    const key = `${url} ${errorCode}`;
    if (this.#closed || this.#iceServerFailures.has(key)) return;
    this.#iceServerFailures.add(key);
    const what = errorCode === 401 ? 'refused the credentials (wrong or expired)' : errorCode === 701 ? 'could not be reached' : 'failed';
    this.#emit('error', {
      peer: null,
      code: 'ice_server',
      message: `RTCMesh: ICE server ${url || '(unknown)'} ${what}: ${errorCode} ${errorText}`.trim(),
      url,
      errorCode,
    });
  }

  /** "all" or "relay": the iceTransportPolicy of every connection. */
  get iceTransportPolicy() {
    return this.#iceTransportPolicy;
  }

  [sessionPort]() {
    return {
      core: this.#core,
      flush: () => {
        if (!this.#closed) this.#flush();
      },
      onFlushed: (handler) => this.#pump.onFlushed(handler),
    };
  }

  // One crossing: the payload goes into the inbox, and the exchange that
  // applies it returns its status with the commands it produced. From an
  // event listener (a flush is running) the frames go out at once too; the
  // events wait until the running flush has dispatched its own.
  #sendPayload({ bytes, isText }, peer, channel = null) {
    this.#ensureOpen();
    const problem = this.#pump.apply(() => this.#inbox.send(peer ?? '', isText, bytes, channel));
    const what = channel === null ? 'RTCMesh' : 'MeshChannel';
    if (problem) throw new RTCMeshError(problem.code, `${what}.${peer === null ? 'broadcast' : 'send'}: ${problem.message}`);
  }

  #flush() {
    return this.#pump.flush();
  }

  // Straight from the batch: a message costs its MessageEvent and its data.
  #dispatchEvents(reader) {
    const kinds = reader.names.events;
    let count = reader.u32();
    // Listeners may call into the core, which reuses the batch: copied once
    // here when several events follow, not once per event.
    if (count > 1) reader.detach();
    for (; count > 0 && this.#core; count--) {
      if (kinds[reader.view.getUint8(reader.at)] !== 'message') {
        const event = reader.event();
        reader.detach(); // listeners may call into the core
        if (event.kind === 'error' && event.code === 'peer_refused') this.#peers.delete(event.peer); // the core skipped it
        if (this.#early) this.#early.push(() => this.#dispatch(event));
        else this.#dispatch(event);
        continue;
      }
      reader.at++;
      const origin = reader.peer();
      const flags = reader.u8();
      const target = flags & 4 ? this.#channels.get(reader.str()) : this; // a named channel's, or the mesh's
      const bytes = reader.bytesView();
      if (flags & 2 || !target) continue; // a system frame while no Raft runs here, or a channel closed meanwhile
      const data = flags & 1 ? textDecoder.decode(bytes) : bytes.slice().buffer;
      reader.detach();
      const message = new MessageEvent('message', { data, origin });
      if (this.#early) this.#early.push(() => target.dispatchEvent(message));
      else target.dispatchEvent(message);
    }
    reader.detach();
  }

  #dispatch(event) {
    const { kind, peer } = event;
    switch (kind) {
      case 'buffered_amount_low':
        return this.#emit('bufferedamountlow', { peer });
      case 'offer':
      case 'answer':
        this.#emit(kind, { peer, sdp: event.text });
        return this.#described(kind, peer, event.text);
      case 'icecandidate':
        return this.#emit(kind, { peer, candidate: event.text ? JSON.parse(event.text) : null });
      case 'failed':
        return this.#emit(kind, { peer, reason: event.text });
      case 'reconnecting':
        return this.#emit(kind, { peer, attempt: Number(event.text) });
      case 'ice_restart':
        return this.#emit('icerestart', { peer });
      case 'relay_on': // no member named: the signaling server (the last-resort path)
        return this.#emit('relay', { peer, via: event.text || null, server: event.text === '' });
      case 'relay_off':
        return this.#emit('relay', { peer, via: null, server: false });
      case 'media_relayed':
        return this.#emit('mediarelayed', { peer, via: event.text || null });
      case 'metadata': {
        const { value, problem } = parseMetadata(event.text);
        if (problem) return this.#emit('error', { peer, code: 'malformed_frame', message: `metadata from ${peer} is not JSON (${problem}); ignored` });
        this.#metadata.set(peer, value);
        return this.#emit('metadata', { peer, metadata: value });
      }
      case 'error':
        return this.#emit('error', { peer: peer || null, code: event.code, message: event.text });
      default: // disconnected, addchannel, removechannel
        return this.#emit(kind, { peer });
    }
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
