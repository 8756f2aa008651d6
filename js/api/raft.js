// Raft: the seed's consensus class, on the wasm Raft core.
//
// Two ways to use it:
//  * the seed's way, network fully external: new Raft({ address, ... }),
//    join(address, send) for each peer, onRaftMessage(data) for what arrives;
//  * over an RTCMesh: new Raft({ mesh }) sends through the mesh's data
//    channels and follows its peers, with nothing to wire by hand.
// Either way, proposals and reads made on a follower are forwarded to the
// leader by the core itself (as Raft messages), which accepts the answer only
// from the node it asked.
//
// The core (src/core/raft) decides everything; this class moves its Ready
// through persistence (optional, e.g. IndexedDB), the network and the
// application, in that order, and turns its events into DOM events:
//   join { address, voter }  leave { address }  closing {}  closed {}
//   leader { leader }  role { role }  term { term }  commit { index }
//   apply { index, term, data }  (a committed entry of the application, in order, once)
//   snapshot { index, data }     (load this state-machine image: the log before it is gone)
//   error { message }
import { loadCore, loadedCore } from './core-module.js';
import { sessionPort } from './rtc-mesh.js';
import { argumentError, bytesOf as toBytes, randomSeed } from './values.js';
import { decodeReady } from './raft-ready.js';

const DEFAULTS = {
  // Hidden browser tabs run timers at most once a second, so the seed's
  // example values (1500/3000/500 ms) are safer for pages than 150/300/50.
  electionMinTimeout: 1500,
  electionMaxTimeout: 3000,
  heartbeatInterval: 500,
};

// Over a mesh, Raft messages travel on the mesh's system channel; the first
// byte says what follows (0: a Raft message), so other kinds can join later.
// How many applied entries' terms are remembered, to confirm a proposal whose
// entry was applied before the leader's answer arrived.
const APPLIED_TERMS_KEPT = 4096;

/**
 * What a Raft call or event reports. `code` is one of the core's ErrorCode
 * names (closed, not_leader, bad_argument, too_large, bad_message,
 * unknown_peer, busy, log_full, forward_failed) or, from this class, lost
 * (an entry lost to a change of leader) and storage (persisting failed).
 */
export class RaftError extends Error {
  /** @param leader the current leader's address when known (retry there) */
  constructor(code, message, leader = null) {
    super(message);
    this.name = 'RaftError';
    this.code = code;
    this.leader = leader;
  }
}

function requireAddress(value, what) {
  if (typeof value !== 'string' || value === '' || value.length > 256) {
    throw argumentError(`Raft: ${what} must be a string of 1..256 characters, got ${typeof value}`);
  }
  return value;
}

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
  #submits = new Map(); // request id -> { resolve, reject }: proposals until the core says where they went
  #appliedTerms = new Float64Array(APPLIED_TERMS_KEPT * 2); // ring of [index, term] of the last applied entries
  #mesh = null;
  #port = null; // the mesh's session: Raft runs inside it (see sessionPort)
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
   * @param {boolean} [options.keeper] this member stays while others come and go (a bot with
   *   durable storage): while it leads it is the only voter, the others learners
   * @param {RTCMesh} [options.mesh] run over this mesh
   * @param {object} [options.restored] state from a durable storage (see Raft.open)
   * @param {object} [options.storage] durable storage: { save(ready) -> Promise }
   * @param {boolean} [options.autoUpdate=true] tick by itself; false = call update() yourself
   * @param {number} [options.seed] seed of the election-timeout randomness
   */
  constructor(options = {}) {
    super();
    // First, so that a missing core is reported as such whatever the options.
    const module = loadedCore((message) => new RaftError('not_ready', `Raft: ${message}`));
    if (typeof options !== 'object' || options === null) throw argumentError('Raft: options must be an object');
    const mesh = options.mesh ?? null;
    const address = requireAddress(options.address ?? mesh?.id, 'options.address');
    const settings = { ...DEFAULTS };
    for (const name of Object.keys(DEFAULTS)) {
      if (options[name] === undefined) continue;
      if (!(Number.isFinite(options[name]) && options[name] > 0)) throw argumentError(`Raft: options.${name} must be a positive number of ms`);
      settings[name] = options[name];
    }
    if (settings.electionMaxTimeout < settings.electionMinTimeout) {
      throw argumentError('Raft: electionMaxTimeout must not be below electionMinTimeout', RangeError);
    }
    if (options.members !== undefined && !Array.isArray(options.members)) throw argumentError('Raft: options.members must be an array');
    if (options.keeper !== undefined && typeof options.keeper !== 'boolean') throw argumentError('Raft: options.keeper must be a boolean');
    const bootstrap = mesh ? meshBootstrap(mesh, address, options) : { members: options.members, joinExisting: options.joinExisting };

    const config = {
        address,
        ...settings,
        members: bootstrap.members ?? [],
        joinExisting: Boolean(bootstrap.joinExisting),
        seed: options.seed ?? randomSeed(),
        maxEntryBytes: options.maxEntryBytes,
        forwardTimeout: options.forwardTimeout,
        keeper: options.keeper === true,
    };
    const restored = options.restored ?? null;
    if (mesh) {
      if (mesh.closed) throw new RaftError('closed', 'Raft: the mesh is closed');
      this.#port = mesh[sessionPort]();
      this.#core = new module.RaftNode(this.#port.core, config, restored);
      const problem = this.#core.initStatus();
      if (problem) {
        this.#core.delete();
        this.#core = null;
        throw new RaftError(problem.code, `Raft: ${problem.message}`);
      }
    } else {
      this.#core = new module.RaftNode(config, restored);
    }
    this.#storage = options.storage ?? null;
    this.#restoredSnapshot = options.restored?.snapshot ?? null;
    this.address = address;
    this.#closedPromise = new Promise((resolve) => { this.#resolveClosed = resolve; });
    if (mesh) this.#attachMesh(mesh);
    if (bootstrap.room) this.#followRoomOrder(bootstrap.room);
    if (options.autoUpdate !== false) {
      // Over a mesh, the mesh's ticks drive the node too: the session core
      // asks to be woken at the node's deadlines, and its flushes pump here.
      if (!mesh) this.#timer = setInterval(() => this.update(), Math.max(10, Math.min(50, settings.heartbeatInterval / 2)));
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
    await loadCore(); // "rtcmesh/async" users need no ready() first
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
  /**
   * Milliseconds since this member last heard its leader (heartbeats
   * included), as of its last update; null for a leader or before any.
   */
  get sinceLeaderContact() {
    const age = this.#core && !this.#core.closed() ? this.#core.leaderContactAge() : -1;
    return age < 0 ? null : age;
  }
  /**
   * Milliseconds until this member calls an election if it hears no leader
   * (as of its last update), or null when it would not: a leader, a learner,
   * a removed or closed member. For displays such as the demo's countdown.
   */
  get electionDueIn() {
    const due = this.#core && !this.#core.closed() ? this.#core.electionDueIn() : -1;
    return due < 0 ? null : due;
  }
  /** { voters, learners } as the log says now. */
  get members() {
    return this.#core ? this.#core.membership() : { voters: [], learners: [] };
  }
  get closed() {
    return !this.#core || this.#core.closed();
  }

  // ---- the seed's methods ---------------------------------------------------

  /** Adds a node; `send(bytes)` delivers a Raft message to it. */
  join(address, send) {
    requireAddress(address, 'address');
    if (typeof send !== 'function') throw argumentError('Raft.join: send must be a function (bytes) => void');
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
    if (typeof from !== 'string') throw argumentError('Raft.onRaftMessage: from must be a string');
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
      // Closed before its first update: nothing waits for listeners any more,
      // and without this the pump would never run, so close() would never
      // resolve and the tick timer would keep the process alive.
      this.#started = true;
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
    // A closing or closed core refuses the submit itself (code closed): one
    // call into wasm less per proposal.
    if (!this.#core) return Promise.reject(new RaftError('closed', 'Raft: the node is closed'));
    const id = this.#nextRequest++;
    this.#core.staging(bytes.byteLength).set(bytes);
    const problem = this.#core.submitStaged(id);
    if (problem) return Promise.reject(new RaftError(problem.code, `Raft.propose: ${problem.message}`, this.leader));
    const submitted = new Promise((resolve, reject) => this.#submits.set(id, { resolve, reject }));
    this.#schedulePump();
    return submitted;
  }

  /**
   * A linearizable read barrier: resolves with an index once this node has
   * applied everything committed before the call, so local state may be read.
   * On a follower the core asks the leader for the read index.
   */
  readIndex() {
    if (this.closed) return Promise.reject(new RaftError('closed', 'Raft: the node is closed'));
    const id = this.#nextRequest++;
    const problem = this.#core.read(id);
    if (problem) return Promise.reject(new RaftError(problem.code, `Raft.readIndex: ${problem.message}`, this.leader));
    const read = new Promise((resolve, reject) => this.#reads.set(id, { resolve, reject }));
    this.#schedulePump();
    return read.then((index) => this.#whenAppliedUpTo(index));
  }

  /**
   * Resolves with the applied index once this member has applied everything
   * the cluster had committed when it was called (waitToSync in
   * peerjs-mesh): a linearizable read, retried while no leader answers.
   * Rejects with a RaftError, code "timeout", after `timeoutMs` (default
   * 30 s), or "closed".
   */
  async synced({ timeoutMs = 30000 } = {}) {
    if (!(timeoutMs > 0)) throw argumentError(`Raft.synced: timeoutMs must be a positive number, got ${String(timeoutMs)}`);
    const deadline = Date.now() + timeoutMs;
    for (let wait = 50; ; wait = Math.min(2 * wait, 1000)) {
      let last;
      try {
        await this.readIndex();
        return this.appliedIndex;
      } catch (error) {
        if (error.code === 'closed') throw error;
        last = error;
      }
      if (Date.now() + wait > deadline) throw new RaftError('timeout', `Raft.synced: not caught up within ${timeoutMs} ms (${last.message})`, this.leader);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
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
    if (snapshot.error) throw new RaftError(snapshot.error.code, `Raft.compact: ${snapshot.error.message}`);
    // Durable hosts keep the snapshot so a restart starts from it.
    this.#storage?.saveSnapshot?.(snapshot)?.catch((error) =>
      this.#emit('error', { code: 'storage', message: `Raft: could not persist a snapshot: ${error?.message ?? error}` }));
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
        const core = this.#core;
        const persist = this.#storage !== null;
        const ready = decodeReady(core.takeReadyPacked(persist), () => core.readySnapshot(), { persist });
        const durable = this.#storage && (ready.hardState || ready.entries.length > 0 || ready.snapshot);
        if (durable) {
          this.#storage.save(ready).then(
            () => {
              this.#finish(ready);
              step();
            },
            (error) => {
              this.#emit('error', { code: 'storage', message: `Raft: could not persist: ${error?.message ?? error}` });
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
    // Where this Ready's proposals went is known before its entries apply.
    const applied = this.appliedIndex;
    for (const event of ready.events) if (event.kind === 'submitted' || event.kind === 'submitfailed') this.#settleSubmit(event, applied);
    for (const entry of ready.committed) this.#apply(entry);
    for (const event of ready.events) if (event.kind !== 'submitted' && event.kind !== 'submitfailed') this.#dispatch(event);
    this.#core.advance();
    this.#port?.flush(); // over a mesh, advance() queued this Ready's messages there
    this.#releaseReadWaiters();
    if (this.#core.closed()) this.#shutDown();
  }

  #send(to, bytes) {
    const send = this.#routes.get(to);
    if (!send) return; // no route (yet): Raft retries
    try {
      send(bytes);
    } catch (error) {
      this.#emit('error', { code: 'send_failed', message: `Raft: sending to ${to} failed: ${error?.message ?? error}` });
    }
  }

  // The core appended a proposal at (index, term), here or at the leader: it
  // is done when the entry applied at `index` has that term. `applied` is
  // the applied index before this Ready's entries.
  #settleSubmit(event, applied) {
    const submit = this.#submits.get(event.id);
    if (!submit) return;
    this.#submits.delete(event.id);
    if (event.kind === 'submitfailed') {
      submit.reject(new RaftError(event.code, `Raft.propose: ${event.reason}`, this.leader));
      return;
    }
    const { index, term } = event;
    if (applied < index) {
      this.#proposals.set(index, { term, resolve: submit.resolve, reject: submit.reject });
    } else if (this.#appliedTermAt(index) === term) {
      submit.resolve({ index, term });
    } else {
      submit.reject(new RaftError('lost', 'Raft.propose: the entry was lost to a change of leader; propose it again', this.leader));
    }
  }

  #appliedTermAt(index) {
    const slot = (index % APPLIED_TERMS_KEPT) * 2;
    return this.#appliedTerms[slot] === index ? this.#appliedTerms[slot + 1] : undefined;
  }

  #apply(entry) {
    const slot = (entry.index % APPLIED_TERMS_KEPT) * 2;
    this.#appliedTerms[slot] = entry.index;
    this.#appliedTerms[slot + 1] = entry.term;
    const pending = this.#proposals.get(entry.index);
    if (pending) {
      this.#proposals.delete(entry.index);
      if (pending.term === entry.term) pending.resolve({ index: entry.index, term: entry.term });
      else pending.reject(new RaftError('lost', 'Raft.propose: the entry was lost to a change of leader; propose it again', this.leader));
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
        return read?.reject(new RaftError(event.code, `Raft.readIndex: ${event.reason}`, this.leader));
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

  // ---- over a mesh ------------------------------------------------------------

  // The session core follows the mesh's peers and carries Raft's messages;
  // this side only pumps when the mesh's flush may have fed the node.
  #attachMesh(mesh) {
    this.#mesh = mesh;
    this.#unlisten = this.#port.onFlushed(() => this.#schedulePump());
    this.#onMeshClose = () => this.close();
    mesh.addEventListener('close', this.#onMeshClose);
  }

  #onMeshClose;
  #onRoomChange;

  // The signaling server orders the room's members by arrival; the core
  // decides from that whether this member starts the cluster.
  #followRoomOrder(signaling) {
    const tell = () => {
      if (this.#core && !this.#core.closed()) this.#core.setRoomPosition(signaling.olderPeers.size === 0, signaling.peers.size);
    };
    tell();
    this.#onRoomChange = () => {
      tell();
      this.#pump();
    };
    signaling.addEventListener('peerleft', this.#onRoomChange);
    signaling.addEventListener('open', this.#onRoomChange);
  }

  #detachMesh() {
    if (!this.#mesh) return;
    if (this.#onRoomChange) {
      this.#mesh.signaling?.removeEventListener('peerleft', this.#onRoomChange);
      this.#mesh.signaling?.removeEventListener('open', this.#onRoomChange);
    }
    this.#unlisten?.();
    this.#mesh.removeEventListener('close', this.#onMeshClose);
    this.#mesh = null;
    this.#port = null;
  }

  // ---- plumbing ---------------------------------------------------------------

  #ensureOpen() {
    if (!this.#core || this.#core.closed()) throw new RaftError('closed', 'Raft: the node is closed');
  }

  #check(problem) {
    if (problem) throw new RaftError(problem.code, `Raft: ${problem.message}`, this.leader);
  }

  #shutDown() {
    clearInterval(this.#timer);
    this.#detachMesh();
    const closed = new RaftError('closed', 'Raft: the node closed');
    for (const pending of this.#proposals.values()) pending.reject(closed);
    for (const read of this.#reads.values()) read.reject(closed);
    for (const submit of this.#submits.values()) submit.reject(closed);
    this.#proposals.clear();
    this.#reads.clear();
    this.#submits.clear();
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
// all of them. A mesh that joined a room leaves it to the core's rule (see
// Node::set_room_position): the oldest member present starts the cluster.
function meshBootstrap(mesh, address, options) {
  if (options.members || options.joinExisting !== undefined) {
    return { members: options.members, joinExisting: options.joinExisting };
  }
  if (mesh.signaling) return { joinExisting: true, room: mesh.signaling };
  return { members: [address, ...mesh.peers] };
}
