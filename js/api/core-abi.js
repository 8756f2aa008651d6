// The wasm core's plain exports (src/bindings/*.cpp) as the few classes the
// API uses: Mesh, RaftNode and Rng, plus the core's tables of names.
//
// Text and bytes go into one scratch buffer in the wasm heap, passed as
// (address, length); anything richer crosses as records, whose layout
// src/bindings/records.hpp describes: u8 tag, u8 name length, name, payload.
// A reply is an address (0 for "ok") of records the core keeps until the
// next call on the same object. Every call may grow the heap, so views of it
// are taken after the call that made them.

const TAG = { number: 1, yes: 2, no: 3, text: 4, bytes: 5, texts: 6 };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Adds Mesh, RaftNode, Rng and the name tables to an instantiated module. */
export function bindCore(module) {
  const abi = new Abi(module);
  return Object.assign(module, {
    Mesh: meshClass(abi, module),
    RaftNode: raftClass(abi, module),
    Rng: rngClass(module),
    version: () => abi.cString(module._rtcmesh_version()),
    heapStats: () => ({ heapBytes: module._rtcmesh_heap_bytes(), usedBytes: module._rtcmesh_heap_used() }),
    meshKindNames: () => ({ commands: abi.names(0), events: abi.names(1), errors: abi.names(2) }),
    raftErrorNames: () => abi.names(3).slice(1), // 0 is "none"
  });
}

class Abi {
  #module;
  #scratch = 0; // address of the scratch buffer
  #capacity = 0;

  constructor(module) {
    this.#module = module;
  }

  get heap() {
    return this.#module.HEAPU8;
  }

  /**
   * Writes each argument (a string as UTF-8, bytes as they are) into the
   * scratch buffer; returns their (address, length) pairs, flat, for a call.
   */
  args(...items) {
    let bound = 0;
    for (const item of items) bound += typeof item === 'string' ? item.length * 3 : item.byteLength;
    if (bound > this.#capacity) {
      if (this.#scratch) this.#module._rtcmesh_free(this.#scratch);
      this.#capacity = Math.max(bound, 256);
      this.#scratch = this.#module._rtcmesh_alloc(this.#capacity);
    }
    const heap = this.heap;
    const pairs = [];
    let at = this.#scratch;
    for (const item of items) {
      let length;
      if (typeof item === 'string') length = encoder.encodeInto(item, heap.subarray(at, at + item.length * 3)).written;
      else heap.set(item, at), (length = item.byteLength);
      pairs.push(at, length);
      at += length;
    }
    return pairs;
  }

  /** An object of records for a call: its (address, length). */
  records(object) {
    return this.args(encodeRecords(object));
  }

  /** The records at `address` (a reply) as an object; null for address 0. */
  reply(address) {
    if (!address) return null;
    const heap = this.heap;
    const view = new DataView(heap.buffer, address);
    return decodeRecords(heap, view, address);
  }

  /** A reply that is a status: null when ok, else {code, message}. */
  status(address) {
    return this.reply(address);
  }

  /** A reply that is one text: {value}. */
  text(address) {
    return this.reply(address).value;
  }

  cString(address) {
    const heap = this.heap;
    let end = address;
    while (heap[end] !== 0) end++;
    return decoder.decode(heap.subarray(address, end));
  }

  names(table) {
    const list = [];
    for (let address; (address = this.#module._rtcmesh_name(table, list.length)); ) list.push(this.cString(address));
    return list;
  }
}

/** The records of each object's fields, in order, in one buffer. */
function encodeRecords(...objects) {
  const parts = [];
  let size = 0;
  const push = (bytes) => {
    parts.push(bytes);
    size += bytes.byteLength;
  };
  // Typed arrays use the platform's byte order: little-endian, as wasm is, on
  // every platform that runs it.
  const u32 = (value) => push(new Uint8Array(new Uint32Array([value]).buffer));
  const chunk = (bytes) => (u32(bytes.byteLength), push(bytes));
  for (const [name, value] of objects.flatMap(Object.entries)) {
    if (value === undefined || value === null) continue;
    const key = encoder.encode(name);
    const head = (tag) => {
      push(Uint8Array.of(tag, key.byteLength));
      push(key);
    };
    if (typeof value === 'number') head(TAG.number), push(new Uint8Array(new Float64Array([value]).buffer));
    else if (typeof value === 'boolean') head(value ? TAG.yes : TAG.no);
    else if (typeof value === 'string') head(TAG.text), chunk(encoder.encode(value));
    else if (ArrayBuffer.isView(value)) head(TAG.bytes), chunk(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    else if (Array.isArray(value)) {
      head(TAG.texts);
      u32(value.length);
      for (const item of value) chunk(encoder.encode(String(item)));
    }
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) out.set(part, at), (at += part.byteLength);
  return out;
}

// Records written by the core (records.hpp's RecordWriter): bytes are copied
// out of the heap, so the object outlives the reply.
function decodeRecords(heap, view, base) {
  const end = 4 + view.getUint32(0, true);
  const object = {};
  let at = 4;
  const chunk = () => {
    const length = view.getUint32(at, true);
    const bytes = heap.slice(base + at + 4, base + at + 4 + length);
    at += 4 + length;
    return bytes;
  };
  while (at < end) {
    const tag = view.getUint8(at);
    const nameLength = view.getUint8(at + 1);
    const name = decoder.decode(heap.subarray(base + at + 2, base + at + 2 + nameLength));
    at += 2 + nameLength;
    if (tag === TAG.number) (object[name] = view.getFloat64(at, true)), (at += 8);
    else if (tag === TAG.yes || tag === TAG.no) object[name] = tag === TAG.yes;
    else if (tag === TAG.text) object[name] = decoder.decode(chunk());
    else if (tag === TAG.bytes) object[name] = chunk();
    else if (tag === TAG.texts) {
      const count = view.getUint32(at, true);
      at += 4;
      object[name] = Array.from({ length: count }, () => decoder.decode(chunk()));
    } else break;
  }
  return object;
}

// What a durable host saved (Raft's `restored` option), flattened into the
// records raft_binding.cpp reads: hard state, snapshot.*, then entry.* per entry.
function restoredRecords(restored) {
  const parts = [];
  const hard = restored?.hardState;
  if (hard && typeof hard === 'object') parts.push({ term: hard.term, vote: typeof hard.vote === 'string' ? hard.vote : '', commit: hard.commit });
  const snapshot = restored?.snapshot;
  if (snapshot && typeof snapshot === 'object') {
    parts.push({
      'snapshot.index': snapshot.index,
      'snapshot.term': snapshot.term,
      'snapshot.voters': snapshot.voters ?? [],
      'snapshot.learners': snapshot.learners ?? [],
      'snapshot.data': snapshot.data ?? new Uint8Array(),
    });
  }
  if (Array.isArray(restored?.entries)) {
    for (const entry of restored.entries) {
      parts.push({ 'entry.index': entry.index, 'entry.term': entry.term, 'entry.type': entry.type ?? 'normal', 'entry.data': entry.data ?? new Uint8Array() });
    }
  }
  return encodeRecords(...parts);
}

// The mesh's exports (mesh_binding.cpp) under the names the API calls.
function meshClass(abi, core) {
  return class Mesh {
    #handle;

    constructor(options, seed) {
      this.#handle = core._rtcmesh_mesh_new(seed, ...abi.records(options));
    }

    /** The address of the core's object, for the one wire's exports. */
    address() {
      return this.#handle;
    }

    delete() {
      core._rtcmesh_mesh_delete(this.#handle);
      this.#handle = 0;
    }

    initStatus() {
      return abi.status(core._rtcmesh_mesh_init_status(this.#handle));
    }
    createOffer(peer) {
      return abi.status(core._rtcmesh_mesh_create_offer(this.#handle, ...abi.args(peer)));
    }
    createAnswer(peer, sdp) {
      return abi.status(core._rtcmesh_mesh_create_answer(this.#handle, ...abi.args(peer, sdp)));
    }
    addAnswer(peer, sdp) {
      return abi.status(core._rtcmesh_mesh_add_answer(this.#handle, ...abi.args(peer, sdp)));
    }
    addIceCandidate(peer, candidate) {
      return abi.status(core._rtcmesh_mesh_add_ice_candidate(this.#handle, ...abi.args(peer, candidate)));
    }
    closePeer(peer) {
      return abi.status(core._rtcmesh_mesh_close_peer(this.#handle, ...abi.args(peer)));
    }
    addPeer(peer) {
      return abi.status(core._rtcmesh_mesh_add_peer(this.#handle, ...abi.args(peer)));
    }
    removePeer(peer) {
      return abi.status(core._rtcmesh_mesh_remove_peer(this.#handle, ...abi.args(peer)));
    }
    /** @param key Uint8Array */
    setRelayKey(peer, key) {
      return abi.status(core._rtcmesh_mesh_set_relay_key(this.#handle, ...abi.args(peer, key)));
    }
    setMetadata(json) {
      return abi.status(core._rtcmesh_mesh_set_metadata(this.#handle, ...abi.args(json)));
    }
    addTrack(track, peer) {
      return abi.status(core._rtcmesh_mesh_add_track(this.#handle, track, ...abi.args(peer)));
    }
    removeTrack(track) {
      return abi.status(core._rtcmesh_mesh_remove_track(this.#handle, track));
    }
    readyState(peer) {
      return abi.text(core._rtcmesh_mesh_ready_state(this.#handle, ...abi.args(peer)));
    }
    userChannel(peer) {
      return core._rtcmesh_mesh_user_channel(this.#handle, ...abi.args(peer));
    }
    relayed(peer) {
      return core._rtcmesh_mesh_relayed(this.#handle, ...abi.args(peer)) !== 0;
    }
    queuedBytes(peer) {
      return core._rtcmesh_mesh_queued_bytes(this.#handle, ...abi.args(peer));
    }
    setBufferedLowThreshold(bytes) {
      core._rtcmesh_mesh_set_buffered_low_threshold(this.#handle, bytes);
    }
    close() {
      core._rtcmesh_mesh_close(this.#handle);
    }
    networkChanged() {
      core._rtcmesh_mesh_network_changed(this.#handle);
    }
  };
}

// Raft's exports (raft_binding.cpp): a node of its own, or one inside a
// mesh's session (new RaftNode(mesh, config, restored)).
function raftClass(abi, core) {
  return class RaftNode {
    #handle;

    constructor(...args) {
      const mesh = args.length === 3 ? args.shift() : null;
      const [config, restored] = args;
      const [configAt, configLength, restoredAt, restoredLength] = abi.args(encodeRecords(config), restoredRecords(restored));
      this.#handle = mesh
        ? core._rtcmesh_raft_new_on_mesh(mesh.address(), configAt, configLength, restoredAt, restoredLength)
        : core._rtcmesh_raft_new(configAt, configLength, restoredAt, restoredLength);
    }

    delete() {
      core._rtcmesh_raft_delete(this.#handle);
      this.#handle = 0;
    }

    initStatus() {
      return abi.status(core._rtcmesh_raft_init_status(this.#handle));
    }
    join(address) {
      return abi.status(core._rtcmesh_raft_join(this.#handle, ...abi.args(address)));
    }
    leave(address) {
      return abi.status(core._rtcmesh_raft_leave(this.#handle, ...abi.args(address)));
    }
    setRoomPosition(oldest, othersPresent) {
      core._rtcmesh_raft_set_room_position(this.#handle, oldest ? 1 : 0, othersPresent);
    }
    update(now) {
      core._rtcmesh_raft_update(this.#handle, now);
    }
    close() {
      return abi.status(core._rtcmesh_raft_close(this.#handle));
    }

    /** A view of `size` bytes the next receiveStaged/submitStaged/compactStaged takes. */
    staging(size) {
      const address = core._rtcmesh_raft_staging(this.#handle, size);
      return abi.heap.subarray(address, address + size);
    }
    receiveStaged(from) {
      return abi.status(core._rtcmesh_raft_receive_staged(this.#handle, ...abi.args(from)));
    }
    submitStaged(id) {
      return abi.status(core._rtcmesh_raft_submit_staged(this.#handle, id));
    }
    read(id) {
      return abi.status(core._rtcmesh_raft_read(this.#handle, id));
    }
    readIndex(id) {
      return abi.status(core._rtcmesh_raft_read_index(this.#handle, id));
    }
    transferLeadership(to) {
      return abi.status(core._rtcmesh_raft_transfer_leadership(this.#handle, ...abi.args(to)));
    }
    /** The snapshot made, or {error: {code, message}}. */
    compactStaged(index) {
      const reply = abi.reply(core._rtcmesh_raft_compact_staged(this.#handle, index));
      return reply.code ? { error: reply } : reply;
    }

    hasReady() {
      return core._rtcmesh_raft_has_ready(this.#handle) !== 0;
    }
    /**
     * The packed Ready: a view valid until the next call into the module.
     * Without `persist` (no storage) the entries to persist are left out.
     */
    takeReadyPacked(persist = true) {
      const address = core._rtcmesh_raft_take_ready_packed(this.#handle, persist ? 1 : 0);
      return abi.heap.subarray(address, address + core._rtcmesh_raft_ready_size(this.#handle));
    }
    readySnapshot() {
      return abi.reply(core._rtcmesh_raft_ready_snapshot(this.#handle));
    }
    advance() {
      core._rtcmesh_raft_advance(this.#handle);
    }

    address() {
      return abi.text(core._rtcmesh_raft_address(this.#handle));
    }
    role() {
      return abi.text(core._rtcmesh_raft_role(this.#handle));
    }
    leader() {
      return abi.text(core._rtcmesh_raft_leader(this.#handle));
    }
    term() {
      return core._rtcmesh_raft_term(this.#handle);
    }
    commitIndex() {
      return core._rtcmesh_raft_commit_index(this.#handle);
    }
    appliedIndex() {
      return core._rtcmesh_raft_applied_index(this.#handle);
    }
    electionDueIn() {
      return core._rtcmesh_raft_election_due_in(this.#handle);
    }
    leaderContactAge() {
      return core._rtcmesh_raft_leader_contact_age(this.#handle);
    }
    lastIndex() {
      return core._rtcmesh_raft_last_index(this.#handle);
    }
    /** { voters, learners }: both lists from one call. */
    membership() {
      return abi.reply(core._rtcmesh_raft_membership(this.#handle));
    }
    closed() {
      return core._rtcmesh_raft_closed(this.#handle) !== 0;
    }
  };
}

// The core's seeded generator (core/common/rng.hpp), for tests of determinism.
function rngClass(core) {
  return class Rng {
    #handle;

    constructor(seed) {
      this.#handle = core._rtcmesh_rng_new(seed);
    }
    nextU32() {
      return core._rtcmesh_rng_next_u32(this.#handle);
    }
    between(low, high) {
      return core._rtcmesh_rng_between(this.#handle, low, high);
    }
    delete() {
      core._rtcmesh_rng_delete(this.#handle);
      this.#handle = 0;
    }
  };
}
