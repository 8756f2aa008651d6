// Raft: the seed's consensus class, on the wasm Raft core.
//
// Two ways to use it:
//  * the seed's way, network fully external: new Raft({ address, ... }),
//    join(address, send) for each peer, onRaftMessage(data) for what arrives;
//  * over an RTCMesh: new Raft({ mesh }) sends through the mesh's data
//    channels and follows its peers, with nothing to wire by hand. Proposals
//    and reads made on a follower are then forwarded to the leader.
//
// The core (src/core/raft) decides everything; this class moves its Ready
// through persistence (optional, e.g. IndexedDB), the network and the
// application, in that order, and turns its events into DOM events:
//   join { address, voter }  leave { address }  closing {}  closed {}
//   leader { leader }  role { role }  term { term }  commit { index }
//   apply { index, term, data }  (a committed entry of the application, in order, once)
//   snapshot { index, data }     (load this state-machine image: the log before it is gone)
//   error { message }
import { loadedCore } from './core-module.js';
import { systemPort } from './rtc-mesh.js';
import { bytesOf as toBytes, randomSeed } from './values.js';

const DEFAULTS = {
  // Hidden browser tabs run timers at most once a second, so the seed's
  // example values (1500/3000/500 ms) are safer for pages than 150/300/50.
  electionMinTimeout: 1500,
  electionMaxTimeout: 3000,
  heartbeatInterval: 500,
};

// Over a mesh, one system channel carries Raft messages and the forwarding of
// proposals and reads to the leader: the first byte says which.
const WIRE = { raft: 0, request: 1, reply: 2 };
const REQUEST = { propose: 1, read: 2 };
const FORWARD_TIMEOUT_MS = 10000;

export class RaftError extends Error {
  /** @param leader the current leader's address when known (retry there) */
  constructor(message, leader = null) {
    super(message);
    this.name = 'RaftError';
    this.leader = leader;
  }
}

function requireAddress(value, what) {
  if (typeof value !== 'string' || value === '' || value.length > 256) {
    throw new TypeError(`Raft: ${what} must be a string of 1..256 characters, got ${typeof value}`);
  }
  return value;
}

const encoder = new TextEncoder();

const bytesOf = (data, what) => toBytes(data, `Raft: ${what}`);

export class Raft extends EventTarget {
  #core;
  #storage;
  #routes = new Map(); // address -> send(bytes)
  #timer = null;
  #pumping = false;
  #pumpAgain = false;
  #proposals = new Map(); // index -> { term, resolve, reject }
  #reads = new Map(); // request id -> { resolve, reject }
  #readWaiters = []; // { index, resolve } until applied >= index
  #nextRequest = 1;
  #forwarded = new Map(); // request id -> { resolve, reject, timer } (over a mesh)
  #mesh = null;
  #port = null;
  #unlisten = null;
  #closedPromise;
  #resolveClosed;
  #restoredSnapshot = null; // announced on the first update, once listeners are attached
  #started = false; // nothing is applied or sent before the first update()
  #pumpScheduled = false;

  /**
   * @param {object} options
   * @param {string} [options.address] this node's address (over a mesh: the mesh's id)
   * @param {number} [options.electionMinTimeout=1500]
   * @param {number} [options.electionMaxTimeout=3000]
   * @param {number} [options.heartbeatInterval=500]
   * @param {string[]} [options.members] explicit initial members (default: itself + join()ed)
   * @param {boolean} [options.joinExisting] wait to be added by a leader instead of bootstrapping
   * @param {RTCMesh} [options.mesh] run over this mesh
   * @param {object} [options.restored] state from a durable storage (see Raft.open)
   * @param {object} [options.storage] durable storage: { save(ready) -> Promise }
   * @param {boolean} [options.autoUpdate=true] tick by itself; false = call update() yourself
   * @param {number} [options.seed] seed of the election-timeout randomness
   */
  constructor(options = {}) {
    super();
    if (typeof options !== 'object' || options === null) throw new TypeError('Raft: options must be an object');
    const mesh = options.mesh ?? null;
    const address = requireAddress(options.address ?? mesh?.id, 'options.address');
    const settings = { ...DEFAULTS };
    for (const name of Object.keys(DEFAULTS)) {
      if (options[name] === undefined) continue;
      if (!(Number.isFinite(options[name]) && options[name] > 0)) throw new TypeError(`Raft: options.${name} must be a positive number of ms`);
      settings[name] = options[name];
    }
    if (settings.electionMaxTimeout < settings.electionMinTimeout) {
      throw new RangeError('Raft: electionMaxTimeout must not be below electionMinTimeout');
    }
    if (options.members !== undefined && !Array.isArray(options.members)) throw new TypeError('Raft: options.members must be an array');
    const bootstrap = mesh ? meshBootstrap(mesh, address, options) : { members: options.members, joinExisting: options.joinExisting };

    const module = loadedCore();
    this.#core = new module.RaftNode(
      {
        address,
        ...settings,
        members: bootstrap.members ?? [],
        joinExisting: Boolean(bootstrap.joinExisting),
        seed: options.seed ?? randomSeed(),
        maxEntryBytes: options.maxEntryBytes,
      },
      options.restored ?? null,
    );
    this.#storage = options.storage ?? null;
    this.#restoredSnapshot = options.restored?.snapshot ?? null;
    this.address = address;
    this.#closedPromise = new Promise((resolve) => { this.#resolveClosed = resolve; });
    if (mesh) this.#attachMesh(mesh);
    if (options.autoUpdate !== false) {
      this.#timer = setInterval(() => this.update(), Math.max(10, Math.min(50, settings.heartbeatInterval / 2)));
      // Nothing is applied (restored entries included) until the first
      // update, a macrotask later: listeners and join() calls made right
      // after construction (or after `await Raft.open`) all come first.
      // With autoUpdate: false the host's clock alone drives the node.
      setTimeout(() => this.update(), 0);
    }
  }

  /**
   * Opens a node whose term, vote and log survive reloads: `storage` loads
   * what was saved and saves every Ready before anything is sent.
   * @param {object} options Raft options plus `storage` ({ load(), save(ready), close() })
   */
  static async open(options) {
    const restored = await options.storage.load();
    return new Raft({ ...options, restored });
  }

  // ---- properties -----------------------------------------------------------

  /** The leader's address, or null while none is known. */
  get leader() {
    return this.#core ? this.#core.leader() || null : null;
  }
  /** "follower" | "pre-candidate" | "candidate" | "leader" */
  get role() {
    return this.#core ? this.#core.role() : 'follower';
  }
  get term() {
    return this.#core ? this.#core.term() : 0;
  }
  get commitIndex() {
    return this.#core ? this.#core.commitIndex() : 0;
  }
  get appliedIndex() {
    return this.#core ? this.#core.appliedIndex() : 0;
  }
  /** { voters, learners } as the log says now. */
  get members() {
    return this.#core ? { voters: this.#core.voters(), learners: this.#core.learners() } : { voters: [], learners: [] };
  }
  get closed() {
    return !this.#core || this.#core.closed();
  }

  // ---- the seed's methods ---------------------------------------------------

  /** Adds a node; `send(bytes)` delivers a Raft message to it. */
  join(address, send) {
    requireAddress(address, 'address');
    if (typeof send !== 'function') throw new TypeError('Raft.join: send must be a function (bytes) => void');
    this.#ensureOpen();
    this.#routes.set(address, send);
    this.#check(this.#core.join(address));
    this.#pump();
  }

  /** Removes a node from the network (the leader commits its removal). */
  leave(address) {
    requireAddress(address, 'address');
    this.#ensureOpen();
    this.#check(this.#core.leave(address));
    this.#routes.delete(address);
    this.#pump();
  }

  /**
   * Processes a Raft message from a peer; `from` is optional (the message
   * names its sender). After close() a message is ignored: networks deliver
   * late, and a late message is not the caller's mistake.
   */
  onRaftMessage(data, from = '') {
    const bytes = bytesOf(data, 'data');
    if (typeof from !== 'string') throw new TypeError('Raft.onRaftMessage: from must be a string');
    if (this.closed) return;
    this.#core.staging(bytes.byteLength).set(bytes);
    // A refused message comes back as an `error` event from the core itself.
    this.#core.receiveStaged(from);
    this.#schedulePump();
  }

  /** Advances the state machine to `now` (default performance.now()). */
  update(now = performance.now()) {
    if (!this.#core || this.#core.closed()) return;
    this.#started = true;
    if (this.#restoredSnapshot) {
      const { index, data } = this.#restoredSnapshot;
      this.#restoredSnapshot = null;
      this.#emit('snapshot', { index, data });
    }
    this.#core.update(now);
    this.#pump();
  }

  /** Shuts down (a leader hands leadership over first); resolves when closed. */
  close() {
    if (this.#core && !this.#core.closed()) {
      this.#core.close();
      this.#pump();
    }
    return this.#closedPromise;
  }

  // ---- beyond the seed ------------------------------------------------------

  /**
   * Appends `data` to the replicated log. Resolves with { index, term } once
   * the entry is applied here. On a follower over a mesh, it is forwarded to
   * the leader; otherwise a follower rejects with RaftError naming the leader.
   */
  propose(data) {
    const bytes = bytesOf(data, 'data'); // wrong types throw; everything else rejects
    if (this.closed) return Promise.reject(new RaftError('Raft: the node is closed'));
    if (this.role !== 'leader' && this.#port) return this.#forward(REQUEST.propose, bytes);
    this.#core.staging(bytes.byteLength).set(bytes);
    const result = this.#core.proposeStaged();
    if (result.error) return Promise.reject(new RaftError(`Raft.propose: ${result.error}`, this.leader));
    const applied = this.#whenApplied(result); // before pumping: a lone node applies at once
    this.#schedulePump();
    return applied;
  }

  /**
   * A linearizable read barrier: resolves with an index once this node has
   * applied everything committed before the call, so local state may be read.
   */
  readIndex() {
    if (this.closed) return Promise.reject(new RaftError('Raft: the node is closed'));
    if (this.role !== 'leader' && this.#port) {
      return this.#forward(REQUEST.read, new Uint8Array(0)).then(({ index }) => this.#whenAppliedUpTo(index));
    }
    return this.#leaderRead().then((index) => this.#whenAppliedUpTo(index));
  }

  /** Asks the leader (this node) to hand leadership to `address`. */
  transferLeadership(address) {
    requireAddress(address, 'address');
    this.#ensureOpen();
    this.#check(this.#core.transferLeadership(address));
    this.#pump();
  }

  /**
   * Compacts the log up to `index` (default: what is applied) into a
   * snapshot carrying `data`, the application's state image at that index.
   */
  compact(data, index = this.appliedIndex) {
    this.#ensureOpen();
    const bytes = bytesOf(data, 'data');
    this.#core.staging(bytes.byteLength).set(bytes);
    const snapshot = this.#core.compactStaged(index);
    if (snapshot.error) throw new RaftError(`Raft.compact: ${snapshot.error}`);
    // Durable hosts keep the snapshot so a restart starts from it.
    this.#storage?.saveSnapshot?.(snapshot)?.catch((error) =>
      this.#emit('error', { message: `Raft: could not persist a snapshot: ${error?.message ?? error}` }));
    return { index: snapshot.index, term: snapshot.term };
  }

  // ---- the Ready cycle ------------------------------------------------------

  // Proposals and messages of one task share a Ready: the core then sends
  // their entries in one Append per follower (batching) instead of one each.
  #schedulePump() {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  // persist -> send -> apply -> advance, one Ready at a time. With durable
  // storage the persist step is asynchronous; calls meanwhile only mark
  // another round, so no Ready is taken before the previous one is done.
  #pump() {
    if (!this.#started) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    this.#pumpAgain = false;
    const step = () => {
      while (this.#core && (this.#core.hasReady() || this.#pumpAgain)) {
        this.#pumpAgain = false;
        if (!this.#core.hasReady()) continue;
        const ready = this.#core.takeReady();
        const durable = this.#storage && (ready.hardState || ready.entries.length > 0 || ready.snapshot);
        if (durable) {
          this.#storage.save(ready).then(
            () => {
              this.#finish(ready);
              step();
            },
            (error) => {
              this.#emit('error', { message: `Raft: could not persist: ${error?.message ?? error}` });
              this.#pumping = false;
            },
          );
          return;
        }
        this.#finish(ready);
      }
      this.#pumping = false;
    };
    step();
  }

  #finish(ready) {
    if (!this.#core) return;
    for (const { to, bytes } of ready.messages) this.#send(to, bytes);
    if (ready.snapshot) this.#emit('snapshot', { index: ready.snapshot.index, data: ready.snapshot.data });
    for (const entry of ready.committed) this.#apply(entry);
    for (const event of ready.events) this.#dispatch(event);
    this.#core.advance();
    this.#releaseReadWaiters();
    if (this.#core.closed()) this.#shutDown();
  }

  #send(to, bytes) {
    const send = this.#routes.get(to);
    if (!send) return; // no route (yet): Raft retries
    try {
      send(bytes);
    } catch (error) {
      this.#emit('error', { message: `Raft: sending to ${to} failed: ${error?.message ?? error}` });
    }
  }

  #apply(entry) {
    const pending = this.#proposals.get(entry.index);
    if (pending) {
      this.#proposals.delete(entry.index);
      if (pending.term === entry.term) pending.resolve({ index: entry.index, term: entry.term });
      else pending.reject(new RaftError('Raft.propose: the entry was lost to a change of leader; propose it again', this.leader));
    }
    if (entry.type === 'normal') this.#emit('apply', { index: entry.index, term: entry.term, data: entry.data });
  }

  #dispatch(event) {
    switch (event.kind) {
      case 'readready': {
        const read = this.#reads.get(event.id);
        this.#reads.delete(event.id);
        return read?.resolve(event.index);
      }
      case 'readfailed': {
        const read = this.#reads.get(event.id);
        this.#reads.delete(event.id);
        return read?.reject(new RaftError(`Raft.readIndex: ${event.reason}`, this.leader));
      }
      case 'closing':
      case 'closed':
        return this.#emit(event.kind, {});
      default: {
        const { kind, ...detail } = event;
        return this.#emit(kind, detail);
      }
    }
  }

  #whenApplied({ index, term }) {
    return new Promise((resolve, reject) => this.#proposals.set(index, { term, resolve, reject }));
  }

  #whenAppliedUpTo(index) {
    if (this.appliedIndex >= index) return Promise.resolve(index);
    return new Promise((resolve) => this.#readWaiters.push({ index, resolve }));
  }

  #releaseReadWaiters() {
    const applied = this.appliedIndex;
    const ready = this.#readWaiters.filter((waiter) => waiter.index <= applied);
    this.#readWaiters = this.#readWaiters.filter((waiter) => waiter.index > applied);
    for (const waiter of ready) waiter.resolve(waiter.index);
  }

  #leaderRead() {
    const id = this.#nextRequest++;
    const problem = this.#core.readIndex(id);
    if (problem) return Promise.reject(new RaftError(`Raft.readIndex: ${problem}`, this.leader));
    const promise = new Promise((resolve, reject) => this.#reads.set(id, { resolve, reject }));
    this.#pump();
    return promise;
  }

  // ---- over a mesh ------------------------------------------------------------

  #attachMesh(mesh) {
    this.#mesh = mesh;
    this.#port = mesh[systemPort]();
    const route = (peer) => {
      this.#routes.set(peer, (bytes) => this.#meshSend(peer, WIRE.raft, bytes));
      this.#check(this.#core.join(peer));
    };
    for (const peer of mesh.peers) route(peer);
    this.#unlisten = this.#port.listen((from, bytes) => this.#onSystemMessage(from, bytes));
    this.#onPeerAdded = ({ detail }) => {
      if (!this.closed) route(detail.peer);
      this.#pump();
    };
    this.#onPeerRemoved = ({ detail }) => {
      if (!this.closed) this.leave(detail.peer);
    };
    this.#onMeshClose = () => this.close();
    mesh.addEventListener('peeradded', this.#onPeerAdded);
    mesh.addEventListener('peerremoved', this.#onPeerRemoved);
    mesh.addEventListener('close', this.#onMeshClose);
  }

  #onPeerAdded;
  #onPeerRemoved;
  #onMeshClose;

  #detachMesh() {
    if (!this.#mesh) return;
    this.#unlisten?.();
    this.#mesh.removeEventListener('peeradded', this.#onPeerAdded);
    this.#mesh.removeEventListener('peerremoved', this.#onPeerRemoved);
    this.#mesh.removeEventListener('close', this.#onMeshClose);
    this.#mesh = null;
    this.#port = null;
  }

  // Raft tolerates loss, so a message to a peer with no working route is
  // dropped rather than queued behind a link that may never come.
  #meshSend(peer, kind, payload) {
    const mesh = this.#mesh;
    if (!mesh || mesh.closed) return;
    if (mesh.readyState(peer) !== 'open' && !mesh.relayed(peer)) return;
    const framed = new Uint8Array(1 + payload.byteLength);
    framed[0] = kind;
    framed.set(payload, 1);
    this.#port.send(peer, framed);
  }

  #onSystemMessage(from, bytes) {
    if (!this.#core || bytes.byteLength < 1) return;
    const body = bytes.subarray(1);
    switch (bytes[0]) {
      case WIRE.raft:
        if (!this.#core.closed()) this.onRaftMessage(body, from);
        return;
      case WIRE.request:
        return this.#serveRequest(from, body);
      case WIRE.reply:
        return this.#takeReply(body);
      default:
        this.#emit('error', { message: `Raft: unknown system message kind ${bytes[0]} from ${from}` });
    }
  }

  // Request: u32 id, u8 kind, payload. Reply: u32 id, then JSON.
  #forward(kind, payload) {
    const leader = this.leader;
    if (!leader) {
      // During an election: wait for one (bounded), then go the normal way,
      // which is local if this node won.
      return this.#whenLeaderKnown().then(() => (kind === REQUEST.propose ? this.propose(payload) : this.readIndex()));
    }
    const id = this.#nextRequest++;
    const request = new Uint8Array(5 + payload.byteLength);
    new DataView(request.buffer).setUint32(0, id);
    request[4] = kind;
    request.set(payload, 5);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#forwarded.delete(id);
        reject(new RaftError(`Raft: the leader ${leader} did not answer in ${FORWARD_TIMEOUT_MS} ms`, this.leader));
      }, FORWARD_TIMEOUT_MS);
      this.#forwarded.set(id, { resolve, reject, timer });
      this.#meshSend(leader, WIRE.request, request);
    }).then((reply) => (kind === REQUEST.propose ? this.#whenAppliedAt(reply) : reply));
  }

  #whenLeaderKnown() {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.removeEventListener('leader', onLeader);
        reject(new RaftError(`Raft: no leader was elected within ${FORWARD_TIMEOUT_MS} ms`));
      }, FORWARD_TIMEOUT_MS);
      const onLeader = ({ detail }) => {
        if (!detail.leader) return;
        clearTimeout(timer);
        this.removeEventListener('leader', onLeader);
        resolve();
      };
      this.addEventListener('leader', onLeader);
    });
  }

  // A forwarded proposal is done here once this node applied it.
  #whenAppliedAt({ index, term }) {
    if (this.appliedIndex >= index) return { index, term };
    return this.#whenApplied({ index, term });
  }

  async #serveRequest(from, body) {
    if (body.byteLength < 5) return;
    const id = new DataView(body.buffer, body.byteOffset).getUint32(0);
    const kind = body[4];
    let reply;
    try {
      if (this.role !== 'leader') throw new RaftError('not the leader', this.leader);
      if (kind === REQUEST.propose) {
        this.#core.staging(body.byteLength - 5).set(body.subarray(5));
        const result = this.#core.proposeStaged();
        if (result.error) throw new RaftError(result.error, this.leader);
        this.#pump();
        reply = { index: result.index, term: result.term };
      } else if (kind === REQUEST.read) {
        reply = { index: await this.#leaderRead() };
      } else {
        throw new RaftError(`unknown request kind ${kind}`);
      }
    } catch (error) {
      reply = { error: error.message, leader: error.leader ?? null };
    }
    const json = encoder.encode(JSON.stringify(reply));
    const framed = new Uint8Array(4 + json.byteLength);
    new DataView(framed.buffer).setUint32(0, id);
    framed.set(json, 4);
    this.#meshSend(from, WIRE.reply, framed);
  }

  #takeReply(body) {
    if (body.byteLength < 4) return;
    const id = new DataView(body.buffer, body.byteOffset).getUint32(0);
    const pending = this.#forwarded.get(id);
    if (!pending) return;
    this.#forwarded.delete(id);
    clearTimeout(pending.timer);
    let reply;
    try {
      reply = JSON.parse(new TextDecoder().decode(body.subarray(4)));
    } catch {
      pending.reject(new RaftError('Raft: the leader sent an unreadable reply'));
      return;
    }
    if (reply.error) pending.reject(new RaftError(`Raft (at the leader): ${reply.error}`, reply.leader));
    else pending.resolve(reply);
  }

  // ---- plumbing ---------------------------------------------------------------

  #ensureOpen() {
    if (!this.#core || this.#core.closed()) throw new RaftError('Raft: the node is closed');
  }

  #check(problem) {
    if (problem) throw new RaftError(`Raft: ${problem}`, this.leader);
  }

  #shutDown() {
    clearInterval(this.#timer);
    this.#detachMesh();
    const closed = new RaftError('Raft: the node closed');
    for (const pending of this.#proposals.values()) pending.reject(closed);
    for (const read of this.#reads.values()) read.reject(closed);
    for (const forwarded of this.#forwarded.values()) {
      clearTimeout(forwarded.timer);
      forwarded.reject(closed);
    }
    this.#proposals.clear();
    this.#reads.clear();
    this.#forwarded.clear();
    this.#storage?.close?.();
    const core = this.#core;
    this.#core = null;
    queueMicrotask(() => core.delete()); // after the current Ready's callers unwind
    this.#resolveClosed();
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

// Who starts the cluster. A mesh made from a fixed peer list bootstraps with
// all of them; a mesh that joined a room bootstraps alone if the room was
// empty, and otherwise waits to be added by the leader already there.
function meshBootstrap(mesh, address, options) {
  if (options.members || options.joinExisting !== undefined) {
    return { members: options.members, joinExisting: options.joinExisting };
  }
  if (mesh.signaling) return mesh.peers.length === 0 ? { members: [address] } : { joinExisting: true };
  return { members: [address, ...mesh.peers] };
}
