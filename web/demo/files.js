// Sending a file to every peer, with progress from DELIVERED bytes.
//
// The mesh carries messages of up to 64 MiB in one piece, but a single
// message gives no progress, so the file goes out in 256 KiB pieces, each a
// binary message: u32 header length, JSON header, bytes. Each receiver
// answers every piece with how many bytes it now holds; the sender's
// progress is the slowest receiver's count, not what it has queued.
const PIECE_BYTES = 256 * 1024;
// Raft's heartbeats share each link, in order, with the file: a deep queue
// delays them past the election timeout on a slow link (seen at 0.8 MiB/s
// with 4 MiB queued: the cluster changed leader during every transfer).
const QUEUE_LIMIT = 512 * 1024; // pause while any peer has this much unacknowledged
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodePiece(header, bytes) {
  const head = encoder.encode(JSON.stringify(header));
  const message = new Uint8Array(4 + head.length + bytes.length);
  new DataView(message.buffer).setUint32(0, head.length);
  message.set(head, 4);
  message.set(bytes, 4 + head.length);
  return message;
}

export function decodePiece(buffer) {
  const view = new DataView(buffer);
  if (buffer.byteLength < 4) return null;
  const length = view.getUint32(0);
  if (4 + length > buffer.byteLength) return null;
  try {
    const header = JSON.parse(decoder.decode(new Uint8Array(buffer, 4, length)));
    return { header, bytes: new Uint8Array(buffer, 4 + length) };
  } catch {
    return null;
  }
}

const MiB = 1024 * 1024;

/** "1.5 MiB of 5.0 MiB (30%) · 2.1 MiB/s" */
export function describeProgress({ done, size, startedAt }) {
  const seconds = Math.max(0.001, (performance.now() - startedAt) / 1000);
  const percent = size ? Math.floor((100 * done) / size) : 100;
  const amount = (bytes) => (size < MiB ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / MiB).toFixed(1)} MiB`);
  return `${amount(done)} of ${amount(size)} (${percent}%) · ${(done / MiB / seconds).toFixed(1)} MiB/s`;
}

/**
 * Both ends of file transfers over one mesh. `onUpdate(transfer)` gets
 * { id, name, size, done, startedAt, outgoing, from, peers, blob } whenever
 * `done` (bytes delivered to every receiver, or received here) moves.
 */
export class FileTransfers {
  #mesh;
  #incoming = new Map(); // id -> transfer, with parts
  #outgoing = new Map(); // id -> transfer, with acked: peer -> bytes

  constructor(mesh, onUpdate) {
    this.#mesh = mesh;
    // bufferedamountlow then fires well before a paused sender's limit.
    mesh.bufferedAmountLowThreshold = QUEUE_LIMIT / 2;
    this.onUpdate = onUpdate;
  }

  /** Streams `file` to the peers present now, pausing while a send queue is full. */
  async send(file) {
    const mesh = this.#mesh;
    const id = `${mesh.id}-${Date.now()}`;
    const transfer = { id, name: file.name, size: file.size, done: 0, startedAt: performance.now(), outgoing: true, peers: mesh.peers, acked: new Map() };
    this.#outgoing.set(id, transfer);
    this.onUpdate(transfer);
    for (let offset = 0; offset < file.size || offset === 0; offset += PIECE_BYTES) {
      await this.#roomInQueues();
      const bytes = new Uint8Array(await file.slice(offset, offset + PIECE_BYTES).arrayBuffer());
      const piece = encodePiece({ id, name: file.name, size: file.size, offset }, bytes);
      for (const peer of this.#targets(transfer)) mesh.send(peer, piece);
      if (file.size === 0) break;
    }
    this.refresh(transfer); // with no receivers left, it is done now
    return transfer;
  }

  async #roomInQueues() {
    const mesh = this.#mesh;
    for (let waits = 0; waits < 10000 && !mesh.closed; waits++) {
      if (!mesh.peers.some((peer) => mesh.bufferedAmount(peer) > QUEUE_LIMIT)) return;
      // A drained queue, or a receiver gone (its queue then never drains).
      await new Promise((resolve) => {
        const done = () => {
          mesh.removeEventListener('bufferedamountlow', done);
          mesh.removeEventListener('peerremoved', done);
          mesh.removeEventListener('close', done);
          resolve();
        };
        for (const type of ['bufferedamountlow', 'peerremoved', 'close']) mesh.addEventListener(type, done);
      });
    }
  }

  // Receivers that left stop counting: the file is delivered to those present.
  #targets(transfer) {
    return transfer.peers.filter((peer) => this.#mesh.peers.includes(peer));
  }

  /** A piece from `from`: stores it and acknowledges it. False if it was not a piece. */
  receive(from, buffer) {
    const piece = decodePiece(buffer);
    if (!piece) return false;
    const { id, name, size } = piece.header;
    let transfer = this.#incoming.get(id);
    if (!transfer) {
      transfer = { id, name: String(name), size: Number(size), done: 0, startedAt: performance.now(), outgoing: false, from, parts: [] };
      this.#incoming.set(id, transfer);
    }
    transfer.parts.push(piece.bytes);
    transfer.done += piece.bytes.length;
    if (!this.#mesh.closed) this.#mesh.send(from, JSON.stringify({ t: 'file-ack', id, received: transfer.done }));
    if (transfer.done >= transfer.size) {
      this.#incoming.delete(id);
      transfer.blob = new Blob(transfer.parts);
    }
    this.onUpdate(transfer);
    return true;
  }

  /** A receiver's acknowledgement (a `file-ack` chat-channel message). */
  acknowledged(from, { id, received }) {
    const transfer = this.#outgoing.get(id);
    if (!transfer || !Number.isFinite(received)) return;
    transfer.acked.set(from, received);
    this.refresh(transfer);
  }

  /** Recomputes what every receiver still present holds (also after one left). */
  refresh(transfer) {
    const counts = this.#targets(transfer).map((peer) => transfer.acked.get(peer) ?? 0);
    transfer.done = counts.length ? Math.min(...counts) : transfer.size;
    if (transfer.done >= transfer.size) this.#outgoing.delete(transfer.id);
    this.onUpdate(transfer);
  }

  /** After a peer left: transfers waiting on it may now be complete. */
  peerLeft() {
    for (const transfer of [...this.#outgoing.values()]) this.refresh(transfer);
  }
}
