// Reads the Raft core's packed Ready (src/core/raft/ready_codec.hpp) with one
// DataView: no JS object per field crosses the wasm boundary. The result has
// the shape storages expect: { hardState, entries, snapshot, messages,
// committed, events }. Byte payloads are safe to keep: the entries to persist
// are copies each (a storage keeps them apart), the rest are views of one
// copy of the whole Ready.

const VERSION = 1;
const ENTRY_TYPES = ['normal', 'noop', 'config'];
const ROLES = ['follower', 'pre-candidate', 'candidate', 'leader'];
const decoder = new TextDecoder();

class Reader {
  constructor(bytes) {
    this.buf = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = 0;
  }
  u8() { return this.view.getUint8(this.at++); }
  num() { const v = this.view.getFloat64(this.at, true); this.at += 8; return v; }
  len() { const v = this.view.getUint32(this.at, true); this.at += 4; return v; }
  bytes() { const n = this.len(); const out = this.buf.subarray(this.at, this.at + n); this.at += n; return out; }
  ownBytes() { const n = this.len(); const out = this.buf.slice(this.at, this.at + n); this.at += n; return out; }
  skipBytes() { const n = this.len(); this.at += n; return null; }
  str() { const n = this.len(); const out = decoder.decode(this.buf.subarray(this.at, this.at + n)); this.at += n; return out; }
  entry(data = () => this.bytes()) { return { index: this.num(), term: this.num(), type: ENTRY_TYPES[this.u8()] ?? 'normal', data: data() }; }
  list(read) { const n = this.len(); const out = new Array(n); for (let i = 0; i < n; i++) out[i] = read(); return out; }
}

// The core's event codes (EventCode) and the detail each carries, in the
// shapes Raft dispatches.
const EVENTS = [
  null,
  (r) => ({ kind: 'role', role: ROLES[r.u8()] }),
  (r) => ({ kind: 'term', term: r.num() }),
  (r) => { const leader = r.str(); return { kind: 'leader', leader: leader || null }; },
  (r) => ({ kind: 'commit', index: r.num() }),
  (r) => ({ kind: 'join', address: r.str(), voter: r.u8() === 1 }),
  (r) => ({ kind: 'leave', address: r.str() }),
  (r) => ({ kind: 'readready', id: r.num(), index: r.num() }),
  (r) => ({ kind: 'readfailed', id: r.num(), reason: r.str(), code: r.str() }),
  (r) => ({ kind: 'submitted', id: r.num(), index: r.num(), term: r.num() }),
  (r) => ({ kind: 'submitfailed', id: r.num(), reason: r.str(), code: r.str() }),
  (r) => ({ kind: 'snapshot', index: r.num() }),
  () => ({ kind: 'closing' }),
  () => ({ kind: 'closed' }),
  (r) => ({ kind: 'error', message: r.str(), code: r.str() }),
];

/**
 * Decodes a packed Ready. `bytes` may be a view into the wasm heap: it is
 * copied at once, before any other call into the core. `takeSnapshot()` is
 * called when the Ready carries a snapshot (rare: it stays an object).
 * Without `persist` (the core was asked to leave them out: no storage keeps
 * them), `entries` is empty.
 */
export function decodeReady(bytes, takeSnapshot, { persist = true } = {}) {
  const r = new Reader(bytes.slice());
  const version = r.u8();
  if (version !== VERSION) throw new Error(`Raft: the core packed a Ready of version ${version}, expected ${VERSION}`);
  const flags = r.u8();
  const hardState = flags & 1 ? { term: r.num(), commit: r.num(), vote: r.str() } : null;
  const entries = persist ? r.list(() => r.entry(() => r.ownBytes())) : skipEntries(r);
  const messages = r.list(() => ({ to: r.str(), bytes: r.bytes() }));
  const committed = r.list(() => r.entry());
  const events = r.list(() => {
    const read = EVENTS[r.u8()];
    if (!read) throw new Error('Raft: the core packed an unknown event');
    return read(r);
  });
  return { hardState, entries, snapshot: flags & 2 ? takeSnapshot() : null, messages, committed, events };
}

// Steps over the entries to persist without making them.
function skipEntries(r) {
  for (let n = r.len(); n > 0; n--) {
    r.at += 8 + 8 + 1;
    r.skipBytes();
  }
  return [];
}
