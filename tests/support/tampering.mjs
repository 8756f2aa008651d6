// A modified client for attack tests, with real WebRTC (@roamhq/wrtc): a peer
// connection whose data channels let a test rewrite what the member's mesh
// sends and see what it receives, as anyone can who edits the page.
import wrtc from '@roamhq/wrtc';

const { RTCPeerConnection } = wrtc;

/** The frame version and header size of src/core/mesh/frame.hpp. */
export const VERSION = 4;
export const HEADER = 40;
// flag_ack: a data frame ends in a 4-byte ack, after its payload.
const FLAG_ACK = 16;
const ACK_TRAILER = 4;

/** How many payload bytes a frame holds (without an ack it carries). */
export const payloadLength = (frame) => frame.length - HEADER - (frame[2] & FLAG_ACK ? ACK_TRAILER : 0);

// FNV-1a 64 of an id, as the core hashes ids onto the wire (src/core/mesh/frame.cpp).
export function idHash(id) {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(id)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h === 0n ? 1n : h;
}

// Two ids with one FNV-1a 64 hash, found with tools/find-id-collision.c
// (Pollard's rho with distinguished points: about two minutes on one core).
export const COLLIDING_IDS = ['m-DC9S8wgX7eA', 'm-ZaCHQ9cIEUP'];

// A peer connection whose data channel lets `tamper(frame)` rewrite each
// outgoing frame (a Uint8Array copy) and see each incoming one.
export function tamperingPeerConnection({ outgoing, incoming }) {
  return class extends RTCPeerConnection {
    createDataChannel(label, init) {
      const channel = super.createDataChannel(label, init);
      const send = channel.send.bind(channel);
      channel.send = (data) => {
        const frame = new Uint8Array(ArrayBuffer.isView(data) ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data);
        send(outgoing(frame) ?? frame);
      };
      channel.addEventListener('message', ({ data }) => incoming(new Uint8Array(data)));
      return channel;
    }
  };
}

export const view = (frame) => new DataView(frame.buffer, frame.byteOffset, frame.byteLength);

/** Whether `frame` is a data frame from `origin` that went through one relay (hops_left 1). */
export function relayedDataFrom(frame, origin) {
  return frame.length >= HEADER && frame[0] === VERSION && frame[1] === 1 && frame[3] === 1 &&
    view(frame).getBigUint64(8, true) === idHash(origin);
}

/** Overwrites the first `text` in `frame` with `replacement` (as long); whether it was there. */
export function replaceText(frame, text, replacement) {
  const at = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).indexOf(text);
  if (at < 0) return false;
  frame.set(new TextEncoder().encode(replacement), at);
  return true;
}

// ---- Raft messages, as src/core/raft/messages.cpp writes them ---------------

/** Raft message types (src/core/raft/messages.hpp) that only a leader sends. */
export const RaftType = { Append: 5, InstallSnapshot: 9, TimeoutNow: 10 };
const RAFT_WIRE_VERSION = 3;
const SYSTEM_RAFT = 0; // SystemKind::raft (src/core/session/session.hpp)
const SYSTEM_METADATA = 1;

function varint(out, value) {
  let v = BigInt(value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}
function bytes(out, data) {
  varint(out, data.length);
  out.push(...data);
}
const text = (out, s) => bytes(out, new TextEncoder().encode(s));

/**
 * The bytes of one Raft message: `{ type, from, to, term, snapshot? }`, with
 * `snapshot = { index, term, voters, data }`. Every other field is zero.
 */
export function encodeRaftMessage({ type, from, to, term, snapshot }) {
  const out = [RAFT_WIRE_VERSION, type];
  text(out, from);
  text(out, to);
  varint(out, term);
  for (let i = 0; i < 3; i++) varint(out, 0); // log_term, index, commit
  out.push(0, 0); // reject, flags
  for (let i = 0; i < 3; i++) varint(out, 0); // hint_index, hint_term, read_seq
  varint(out, 0); // no entries
  out.push(snapshot ? 1 : 0);
  if (snapshot) {
    varint(out, snapshot.index);
    varint(out, snapshot.term);
    varint(out, snapshot.voters.length);
    for (const voter of snapshot.voters) text(out, voter);
    varint(out, 0); // no learners
    bytes(out, new TextEncoder().encode(snapshot.data));
  }
  varint(out, 0); // request
  bytes(out, []); // payload
  return Uint8Array.from(out);
}

/** Whether `frame` carries the sender's metadata (a direct system frame of SystemKind::metadata). */
export function isMetadataFrame(frame) {
  return frame.length > HEADER && frame[0] === VERSION && frame[1] === 1 && (frame[2] & 2) !== 0 && frame[HEADER] === SYSTEM_METADATA;
}

/** `frame` (a direct system frame) with its payload replaced by the Raft message `raft`. */
export function asRaftFrame(frame, raft) {
  const out = new Uint8Array(HEADER + 1 + raft.length);
  out.set(frame.subarray(0, HEADER));
  out[2] &= ~FLAG_ACK; // an ack it carried is left out with the payload
  out[HEADER] = SYSTEM_RAFT;
  out.set(raft, HEADER + 1);
  view(out).setUint32(36, 1 + raft.length, true); // total_length
  return out;
}
