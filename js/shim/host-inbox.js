// Writes the host's input records for the session core into its inbox in the
// wasm heap (src/core/session/host_wire.hpp): sends, received frames,
// buffered amounts, ticks and what the WebRTC objects did cross into wasm
// together and in order, in one exchange call, with no object per record.
// Little-endian, like the core's reads.

const INITIAL_BYTES = 64 * 1024;
const KEPT_BYTES = 1024 * 1024; // a bigger inbox (a big message passed through) is given back
const KIND = {
  tick: 0, send: 1, channelMessage: 2, bufferedAmount: 3, serverPath: 4, serverFrame: 5, openChannel: 6, closeChannel: 7,
  localDescription: 8, remoteDescriptionSet: 9, localCandidate: 10, connectionState: 11, maxMessageSize: 12,
  channelOpen: 13, channelClosed: 14, operationFailed: 15,
};
const encoder = new TextEncoder();

export class HostInbox {
  #core; // the JsMesh's address, for the module's plain exports
  #module;
  #at = 0; // address of the inbox in the wasm heap
  #capacity = 0;
  #used = 0;
  #heap = null; // module.HEAPU8 when #view was made: the heap is replaced when it grows
  #view = null;

  /** @param core the wasm Mesh; @param module the core's module (its HEAPU8 and exports) */
  constructor(core, module) {
    this.#core = core.address();
    this.#module = module;
  }

  /** No record waits for the next exchange. */
  get empty() {
    return this.#used === 0;
  }

  tick(now) {
    const at = this.#reserve(9);
    this.#view.setUint8(at, KIND.tick);
    this.#view.setFloat64(at + 1, now, true);
  }

  /** `peer` '' broadcasts; `bytes` is a Uint8Array; `channel`: a named channel's name, or null. */
  send(peer, isText, bytes, channel = null) {
    const idRoom = peer.length * 3; // UTF-8 of a JS string takes at most 3 bytes per unit
    const nameRoom = channel === null ? 0 : 4 + channel.length * 3;
    const size = 1 + 4 + idRoom + 1 + nameRoom + 4 + bytes.byteLength;
    const at = this.#reserve(size);
    this.#view.setUint8(at, KIND.send);
    let next = this.#putString(at + 1, peer, idRoom);
    this.#view.setUint8(next, (isText ? 1 : 0) | (channel === null ? 0 : 4));
    next += 1;
    if (channel !== null) next = this.#putString(next, channel, nameRoom - 4);
    this.#view.setUint32(next, bytes.byteLength, true);
    this.#heap.set(bytes, next + 4);
    this.#end(next + 4 + bytes.byteLength);
  }

  /** Opens the named channel (maxRetransmits null: reliable). */
  openChannel(name, ordered, maxRetransmits) {
    const room = name.length * 3;
    const at = this.#reserve(1 + 4 + room + 1 + 8);
    this.#view.setUint8(at, KIND.openChannel);
    const next = this.#putString(at + 1, name, room);
    this.#view.setUint8(next, ordered ? 1 : 0);
    this.#view.setFloat64(next + 1, maxRetransmits ?? -1, true);
    this.#end(next + 9);
  }

  closeChannel(name) {
    const room = name.length * 3;
    const at = this.#reserve(1 + 4 + room);
    this.#view.setUint8(at, KIND.closeChannel);
    this.#end(this.#putString(at + 1, name, room));
  }

  // A str field (u32 length + UTF-8) at `at`, with `room` bytes reserved for
  // the text; returns where the next field goes. Records with a string
  // reserve its worst case and end with #end.
  #putString(at, text, room) {
    const { written } = encoder.encodeInto(text, this.#heap.subarray(at + 4, at + 4 + room));
    this.#view.setUint32(at, written, true);
    return at + 4 + written;
  }

  /** A frame as it came off a channel (ArrayBuffer, or a string from a foreign peer). */
  channelMessage(channel, data) {
    // Frames are always binary; a string can only come from a foreign peer,
    // and goes in as bytes so the core reports it as malformed.
    const bytes = typeof data === 'string' ? encoder.encode(data) : new Uint8Array(data);
    const at = this.#reserve(9 + bytes.byteLength);
    this.#view.setUint8(at, KIND.channelMessage);
    this.#view.setUint32(at + 1, channel, true);
    this.#view.setUint32(at + 5, bytes.byteLength, true);
    this.#heap.set(bytes, at + 9);
  }

  bufferedAmount(channel, amount) {
    const at = this.#reserve(13);
    this.#view.setUint8(at, KIND.bufferedAmount);
    this.#view.setUint32(at + 1, channel, true);
    this.#view.setFloat64(at + 5, amount, true);
  }

  /** The last-resort path: whether the signaling server relays now, and its limits. */
  serverPath(up, maxFrameBytes, bytesPerSecond) {
    const at = this.#reserve(18);
    this.#view.setUint8(at, KIND.serverPath);
    this.#view.setUint8(at + 1, up ? 1 : 0);
    this.#view.setFloat64(at + 2, maxFrameBytes, true);
    this.#view.setFloat64(at + 10, bytesPerSecond, true);
  }

  /** A frame that came through the signaling server, from the member it names. */
  serverFrame(from, bytes) {
    const idRoom = from.length * 3;
    const at = this.#reserve(1 + 4 + idRoom + 4 + bytes.byteLength);
    this.#view.setUint8(at, KIND.serverFrame);
    const next = this.#putString(at + 1, from, idRoom);
    this.#view.setUint32(next, bytes.byteLength, true);
    this.#heap.set(bytes, next + 4);
    this.#end(next + 4 + bytes.byteLength);
  }

  // What the WebRTC objects did (`pc`, `channel`: the core's handles).

  localDescription(pc, type, sdp) {
    this.#handleAndText(KIND.localDescription, pc, sdp, type === 'answer' ? 1 : 0);
  }

  remoteDescriptionSet(pc) {
    this.#handle(KIND.remoteDescriptionSet, pc);
  }

  /** `candidate`: its JSON, or '' at the end of candidates. */
  localCandidate(pc, candidate) {
    this.#handleAndText(KIND.localCandidate, pc, candidate);
  }

  /** `state`: the connection's connectionState. */
  connectionState(pc, state) {
    this.#handleAndText(KIND.connectionState, pc, state);
  }

  maxMessageSize(pc, bytes) {
    const at = this.#reserve(13);
    this.#view.setUint8(at, KIND.maxMessageSize);
    this.#view.setUint32(at + 1, pc, true);
    this.#view.setFloat64(at + 5, bytes, true);
  }

  channelOpen(channel) {
    this.#handle(KIND.channelOpen, channel);
  }

  channelClosed(channel) {
    this.#handle(KIND.channelClosed, channel);
  }

  /** `command`: the number of the command's kind, in the core's names. */
  operationFailed(pc, command, error) {
    this.#handleAndText(KIND.operationFailed, pc, error, command);
  }

  #handle(kind, handle) {
    const at = this.#reserve(5);
    this.#view.setUint8(at, kind);
    this.#view.setUint32(at + 1, handle, true);
  }

  // kind, u32 handle, [u8 flag], str text.
  #handleAndText(kind, handle, text, flag = null) {
    const head = flag === null ? 5 : 6;
    const room = text.length * 3;
    const at = this.#reserve(head + 4 + room);
    this.#view.setUint8(at, kind);
    this.#view.setUint32(at + 1, handle, true);
    if (flag !== null) this.#view.setUint8(at + 5, flag);
    this.#end(this.#putString(at + head, text, room));
  }

  /** Hands the records to the core: returns the address of its output. */
  exchange(drain) {
    const used = this.#used;
    this.#used = 0;
    // performance.now(): the core's clock, brought up to date when stale.
    const output = this.#module._rtcmesh_mesh_exchange(this.#core, performance.now(), used, drain ? 1 : 0);
    if (this.#capacity > KEPT_BYTES) this.#grow(0, INITIAL_BYTES);
    return output;
  }

  // The heap address where `size` more bytes go, with #heap/#view current.
  #reserve(size) {
    if (this.#used + size > this.#capacity) {
      this.#grow(this.#used, Math.max(INITIAL_BYTES, this.#capacity * 2, this.#used + size));
    }
    const heap = this.#module.HEAPU8;
    if (heap !== this.#heap) {
      this.#heap = heap;
      this.#view = new DataView(heap.buffer);
    }
    const at = this.#at + this.#used;
    this.#used += size;
    return at;
  }

  // The record just written ends at `next`: the rest of what it reserved
  // (room its strings did not use) is given back.
  #end(next) {
    this.#used = next - this.#at;
  }

  #grow(keep, capacity) {
    this.#at = this.#module._rtcmesh_mesh_reserve_inbox(this.#core, keep, capacity);
    this.#capacity = capacity;
  }
}
