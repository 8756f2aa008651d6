// Member metadata: a small JSON value each member shares with every other
// (RTCMesh's `metadata` option, setMetadata(), metadata(peer) and the
// `metadata` event). The core carries it and keeps its bound; this module
// turns values into the JSON text the core takes, with errors a user reads.
import { argumentError } from './values.js';

/** The core's bound (session::kMaxMetadataBytes): JSON text, UTF-8 bytes. */
export const MAX_METADATA_BYTES = 4096;

const encoder = new TextEncoder();

/** The JSON text of `value`, or a TypeError / RangeError with code bad_argument saying why not. */
export function metadataText(value, what) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw argumentError(`${what} must be a JSON value: ${error.message}`);
  }
  if (typeof text !== 'string') throw argumentError(`${what} must be a JSON value (null, a boolean, number, string, array or object), got ${typeof value}`);
  const bytes = encoder.encode(text).length;
  if (bytes > MAX_METADATA_BYTES) {
    throw argumentError(`${what} is ${bytes} bytes as JSON, over the limit of ${MAX_METADATA_BYTES}`, RangeError);
  }
  return text;
}

/** A peer's metadata as it arrived, or undefined (with a reason) when it is not JSON. */
export function parseMetadata(text) {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { problem: error.message };
  }
}
