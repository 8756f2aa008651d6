// Sending a file to every peer with progress on both ends.
//
// The mesh carries messages of up to 64 MiB in one piece, but a single
// message gives no progress, so the file goes out in 256 KiB pieces, each a
// binary message: u32 header length, JSON header, bytes.
const PIECE_BYTES = 256 * 1024;
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

/** Streams `file` to all peers, pausing while any send queue is above 4 MiB. */
export async function sendFile(mesh, file, onProgress) {
  const id = `${mesh.id}-${Date.now()}`;
  for (let offset = 0; offset < file.size || offset === 0; offset += PIECE_BYTES) {
    while (mesh.peers.some((peer) => mesh.bufferedAmount(peer) > 4 * 1024 * 1024)) {
      await new Promise((resolve) => mesh.addEventListener('bufferedamountlow', resolve, { once: true }));
    }
    const bytes = new Uint8Array(await file.slice(offset, offset + PIECE_BYTES).arrayBuffer());
    mesh.broadcast(encodePiece({ id, name: file.name, size: file.size, offset }, bytes));
    onProgress(Math.min(file.size, offset + bytes.length), file.size);
    if (file.size === 0) break;
  }
}

/** Reassembles incoming files; `onUpdate(id, name, received, size, blob?)`. */
export class FileReceiver {
  #files = new Map();

  constructor(onUpdate) {
    this.onUpdate = onUpdate;
  }

  receive(from, buffer) {
    const piece = decodePiece(buffer);
    if (!piece) return false;
    const { id, name, size, offset } = piece.header;
    let file = this.#files.get(id);
    if (!file) {
      file = { from, name: String(name), size: Number(size), parts: [], received: 0 };
      this.#files.set(id, file);
    }
    file.parts.push(piece.bytes);
    file.received += piece.bytes.length;
    const done = file.received >= file.size;
    if (done) this.#files.delete(id);
    this.onUpdate(id, file, done ? new Blob(file.parts) : null, offset);
    return true;
  }
}
