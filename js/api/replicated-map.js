// ReplicatedMap: a key-value map replicated by Raft, the consistent
// counterpart of rtc-mesh's scuttlebutt data.
//
//   const map = new ReplicatedMap(raft);
//   await map.set('color', 'blue');        // resolves once applied here
//   map.get('color');                      // local read: fast, maybe stale
//   await map.read('color');               // linearizable read
//   map.addEventListener('change', ({ detail: { key, value, deleted } }) => ...);
//
// Values are anything JSON can carry. Every change is a Raft entry, so every
// member applies the same changes in the same order. The log is compacted
// into a snapshot of the map every `snapshotEvery` changes.
import { argumentError } from './values.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAGIC = 'rtcmesh-map/1';

export class ReplicatedMap extends EventTarget {
  #raft;
  #entries = new Map();
  #sinceSnapshot = 0;
  #onApply;
  #onSnapshot;

  /**
   * @param {Raft} raft the node whose log carries the map
   * @param {object} [options] { snapshotEvery = 1000 }
   */
  constructor(raft, { snapshotEvery = 1000 } = {}) {
    super();
    if (!raft || typeof raft.propose !== 'function') throw argumentError('ReplicatedMap: pass the Raft node to replicate through');
    this.#raft = raft;
    this.snapshotEvery = snapshotEvery;
    this.#onApply = ({ detail }) => this.#apply(detail);
    this.#onSnapshot = ({ detail }) => this.#load(detail.data);
    raft.addEventListener('apply', this.#onApply);
    raft.addEventListener('snapshot', this.#onSnapshot);
  }

  /** Sets `key` to `value` on every member; resolves once applied here. */
  set(key, value) {
    requireKey(key);
    if (value === undefined) throw argumentError('ReplicatedMap.set: value must not be undefined (use delete)');
    return this.#raft.propose(encoder.encode(JSON.stringify({ m: MAGIC, k: key, v: value }))).then(() => undefined);
  }

  /** Deletes `key` on every member; resolves once applied here. */
  delete(key) {
    requireKey(key);
    return this.#raft.propose(encoder.encode(JSON.stringify({ m: MAGIC, k: key, d: true }))).then(() => undefined);
  }

  /** The value as applied here so far (may lag the leader). */
  get(key) {
    return this.#entries.get(key);
  }

  has(key) {
    return this.#entries.has(key);
  }

  /** A linearizable read: reflects every change committed before the call. */
  async read(key) {
    await this.#raft.readIndex();
    return this.#entries.get(key);
  }

  get size() {
    return this.#entries.size;
  }

  entries() {
    return this.#entries.entries();
  }

  keys() {
    return this.#entries.keys();
  }

  /** Stops following the Raft node. */
  close() {
    this.#raft.removeEventListener('apply', this.#onApply);
    this.#raft.removeEventListener('snapshot', this.#onSnapshot);
  }

  #apply({ data }) {
    let change;
    try {
      change = JSON.parse(decoder.decode(data));
    } catch {
      return; // an entry of another user of the same log
    }
    if (change?.m !== MAGIC || typeof change.k !== 'string') return;
    if (change.d) {
      if (!this.#entries.delete(change.k)) return;
      this.#emit({ key: change.k, value: undefined, deleted: true });
    } else {
      this.#entries.set(change.k, change.v);
      this.#emit({ key: change.k, value: change.v, deleted: false });
    }
    // After the Ready is done, when the applied index has caught up with the map.
    if (++this.#sinceSnapshot >= this.snapshotEvery) queueMicrotask(() => this.#snapshot());
  }

  #snapshot() {
    if (this.#sinceSnapshot < this.snapshotEvery || this.#raft.closed) return;
    this.#sinceSnapshot = 0;
    try {
      this.#raft.compact(encoder.encode(JSON.stringify({ m: MAGIC, entries: [...this.#entries] })));
    } catch {
      // compaction is an optimisation; the log stays whole if it fails
    }
  }

  #load(data) {
    let image;
    try {
      image = JSON.parse(decoder.decode(data));
    } catch {
      return;
    }
    if (image?.m !== MAGIC || !Array.isArray(image.entries)) return;
    const before = this.#entries;
    this.#entries = new Map(image.entries);
    for (const [key, value] of this.#entries) {
      if (!before.has(key) || JSON.stringify(before.get(key)) !== JSON.stringify(value)) this.#emit({ key, value, deleted: false });
    }
    for (const key of before.keys()) if (!this.#entries.has(key)) this.#emit({ key, value: undefined, deleted: true });
  }

  #emit(detail) {
    this.dispatchEvent(new CustomEvent('change', { detail }));
  }
}

function requireKey(key) {
  if (typeof key !== 'string' || key === '') throw argumentError('ReplicatedMap: key must be a non-empty string');
}
