// A named channel of an RTCMesh (mesh.channel(name, options)): its messages
// reach only its own `message` listeners, never the mesh's or another
// channel's. The core decides how it travels (src/core/session/
// session_channels.cpp): a reliable ordered channel rides the mesh's frames
// (relayed around a broken link, any size); an unordered or unreliable one
// has a data channel of its own on each direct link, and is never relayed.
import { argumentError, describe } from './values.js';

const MAX_RETRANSMITS = 65535;

/** Checks channel options; returns { ordered, maxRetransmits } (null: reliable). */
export function channelOptions(options, where) {
  if (typeof options !== 'object' || options === null) throw argumentError(`${where}: options must be an object, got ${describe(options)}`);
  const { ordered = true, maxRetransmits = null } = options;
  if (typeof ordered !== 'boolean') throw argumentError(`${where}: options.ordered must be a boolean, got ${describe(ordered)}`);
  if (maxRetransmits !== null && !(Number.isInteger(maxRetransmits) && maxRetransmits >= 0 && maxRetransmits <= MAX_RETRANSMITS)) {
    throw argumentError(`${where}: options.maxRetransmits must be null (reliable) or an integer from 0 to ${MAX_RETRANSMITS}, got ${describe(maxRetransmits)}`);
  }
  return { ordered, maxRetransmits };
}

export class MeshChannel extends EventTarget {
  #send;
  #close;
  #closed = false;

  /** Made by RTCMesh.channel(); `send(peer | null, data)` and `close()` are the mesh's. */
  constructor(name, { ordered, maxRetransmits }, send, close) {
    super();
    this.name = name;
    this.ordered = ordered;
    this.maxRetransmits = maxRetransmits;
    this.#send = send;
    this.#close = close;
  }

  /** Reliable and ordered: carried by the mesh's frames, relayed when a link is down. */
  get reliable() {
    return this.ordered && this.maxRetransmits === null;
  }

  get closed() {
    return this.#closed;
  }

  /**
   * Sends to one peer. Throws RTCMeshError: `not_connected` on an unordered
   * or unreliable channel whose direct link to the peer is down (those are
   * never relayed), `message_too_large`, `queue_full`, `closed`.
   */
  send(peer, data) {
    if (typeof peer !== 'string' || peer === '') throw argumentError(`MeshChannel.send: peer must be a non-empty string, got ${describe(peer)}`);
    this.#send(peer, data);
  }

  /** Sends to every peer (on an unordered or unreliable channel: every peer directly linked now). */
  broadcast(data) {
    this.#send(null, data);
  }

  /** Stops the channel here: its messages are no longer delivered; peers' sends to it wait, bounded. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#close();
  }

  /** The mesh closed it (the mesh closed, or close()). */
  markClosed() {
    this.#closed = true;
  }
}
