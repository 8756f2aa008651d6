// Reads the session core's output of one exchange (src/core/session/
// host_wire.hpp, src/core/mesh/batch_codec.hpp): a header, the commands for
// the shim, then the events for the public class, with one DataView and no
// object per field. The kinds' names come from the core itself
// (meshKindNames), so there is one table of names.

const decoder = new TextDecoder();
const VERSION = 6; // session/host_wire.hpp: kHostWireVersion
const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);
let heapBuffer = null; // the wasm heap's ArrayBuffer the view below reads
let heapView = null;

// Every message names its sender: the same few ids, batch after batch. Each
// is decoded once and then found by a hash of its bytes (and the bytes
// compared), which costs less than a TextDecoder call and its string.
const PEER_IDS_KEPT = 4096;
const MAX_CACHED_ID_BYTES = 256;
const peerIds = new Map(); // hash -> { bytes, text }

function sameBytes(a, b, start) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[start + i]) return false;
  return true;
}

export class BatchReader {
  /**
   * Reads the output in place, in the wasm heap. It stays valid only until
   * the next call into the core (which may reuse it, or grow the heap and
   * detach the view): whoever reads it calls detach() before anything that
   * may call into the core, such as an application's event listener.
   * @param heap the module's HEAPU8 as it is after the exchange
   * @param address where the exchange's output starts
   */
  constructor(heap, address, names) {
    const total = (heap[address + 1] | (heap[address + 2] << 8) | (heap[address + 3] << 16) | (heap[address + 4] << 24)) >>> 0;
    // Read in place: the heap and one DataView over it (made again only when
    // the heap grows), positions absolute, the batch ending at `end`.
    if (heap.buffer !== heapBuffer) [heapBuffer, heapView] = [heap.buffer, new DataView(heap.buffer)];
    this.buf = heap;
    this.view = heapView;
    this.end = address + total;
    this.detached = false;
    this.names = names;
    this.at = address;
    const version = this.u8();
    if (version !== VERSION) throw new Error(`RTCMesh: the core packed a batch of version ${version}, expected ${VERSION}`);
    this.u32(); // total length
    this.nextWakeup = this.num(); // when the core must be ticked next (its clock: performance.now())
    const code = this.u8();
    /** The status of the exchange's send: null (ok) or { code, message }. */
    this.status = code === 0 ? (this.u32(), null) : { code: names.errors[code], message: this.str() };
    /** Frames wait for channel room: report bufferedAmount now, not on the next exchange. */
    this.sendsWaiting = (this.u8() & 1) !== 0;
  }
  /** From here on, reads a copy of what is left: calls into the core may follow. */
  detach() {
    if (this.detached) return;
    // Read to its end (a batch of one message, the common case): nothing to copy.
    this.buf = this.at < this.end ? this.buf.slice(this.at, this.end) : EMPTY;
    this.view = this.buf === EMPTY ? EMPTY_VIEW : new DataView(this.buf.buffer);
    this.at = 0;
    this.end = this.buf.length;
    this.detached = true;
  }
  u8() { return this.view.getUint8(this.at++); }
  u32() { const v = this.view.getUint32(this.at, true); this.at += 4; return v; }
  num() { const v = this.view.getFloat64(this.at, true); this.at += 8; return v; }
  /** Steps over the next byte field; returns where it starts (it ends at `at`). */
  #field() { const n = this.u32(); const start = this.at; this.at += n; return start; }
  /** A view of the next byte field, into this batch. */
  bytesView() { const start = this.#field(); return this.buf.subarray(start, this.at); }
  str() { return decoder.decode(this.bytesView()); }
  /** A str field that holds a peer id. */
  peer() {
    const start = this.#field();
    const n = this.at - start;
    const buf = this.buf;
    if (n > MAX_CACHED_ID_BYTES) return decoder.decode(buf.subarray(start, start + n));
    let hash = n;
    for (let i = start; i < start + n; i++) hash = Math.imul(hash ^ buf[i], 16777619);
    const known = peerIds.get(hash);
    if (known !== undefined && known.bytes.length === n && sameBytes(known.bytes, buf, start)) return known.text;
    const bytes = buf.slice(start, start + n);
    const text = decoder.decode(bytes);
    if (peerIds.size >= PEER_IDS_KEPT) peerIds.clear();
    peerIds.set(hash, { bytes, text });
    return text;
  }

  /** The next command as { kind, ...fields }; a `send` carries a view of its frame in `bytes`. */
  command() {
    const kind = this.names.commands[this.u8()];
    switch (kind) {
      case 'create_peer_connection': return { kind, pc: this.u32(), peer: this.str(), iceServers: this.str() };
      case 'create_data_channel': {
        const command = { kind, pc: this.u32(), channel: this.u32(), label: this.str(), id: this.u32(), ordered: this.u8() === 1 };
        const retransmits = this.num(); // max retransmits + 1; 0: reliable
        command.maxRetransmits = retransmits === 0 ? null : retransmits - 1;
        return command;
      }
      case 'set_local_description': return { kind, pc: this.u32(), iceRestart: this.u8() === 1 };
      case 'set_remote_description': return { kind, pc: this.u32(), type: this.u8() === 0 ? 'offer' : 'answer', sdp: this.str() };
      case 'add_ice_candidate': return { kind, pc: this.u32(), candidate: this.str() };
      case 'send': return { kind, channel: this.u32(), bytes: this.bytesView() };
      case 'set_buffered_amount_low_threshold': return { kind, channel: this.u32(), bytes: this.num() };
      case 'close_channel': return { kind, channel: this.u32() };
      case 'close_peer_connection': return { kind, pc: this.u32() };
      case 'send_via_server': return { kind, peer: this.str(), bytes: this.bytesView() };
      case 'add_track':
      case 'remove_track': return { kind, pc: this.u32(), track: this.u32() };
      default: throw new Error(`RTCMesh: the core packed an unknown command ${kind}`);
    }
  }

  /** The next event but a message (RTCMesh reads those in place) as { kind, peer, ... }. */
  event() {
    const kind = this.names.events[this.u8()];
    const peer = this.peer();
    if (kind === 'error') {
      const code = this.names.errors[this.u8()];
      return { kind, peer, code, text: this.str() };
    }
    return { kind, peer, text: this.str() };
  }
}
