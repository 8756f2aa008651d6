// A modified client for attack tests, with real WebRTC (@roamhq/wrtc): a peer
// connection whose data channels let a test rewrite what the member's mesh
// sends and see what it receives, as anyone can who edits the page.
import wrtc from '@roamhq/wrtc';

const { RTCPeerConnection } = wrtc;

/** The frame version and header size of src/core/mesh/frame.hpp. */
export const VERSION = 3;
export const HEADER = 40;

// FNV-1a 64 of an id, as the core hashes ids onto the wire (src/core/mesh/frame.cpp).
export function idHash(id) {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(id)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h === 0n ? 1n : h;
}

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
