// Argument conversions shared by the public classes.

const encoder = new TextEncoder();

/**
 * The bytes of a message: a string as UTF-8, an ArrayBuffer or any typed
 * array / DataView as a view of its bytes (no copy). Anything else throws a
 * TypeError that starts with `what`.
 */
export function bytesOf(data, what) {
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw argumentError(`${what} must be a string, an ArrayBuffer or a typed array, got ${describe(data)}`);
}

/**
 * A TypeError (or RangeError) for a wrong argument, with the code every
 * rtcmesh error carries (README, "Error codes"): callers can switch on
 * `error.code` without telling error classes apart.
 */
export function argumentError(message, Type = TypeError) {
  return Object.assign(new Type(message), { code: 'bad_argument' });
}

/** A short description of a wrong argument, for error messages. */
export function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `"${value.slice(0, 40)}"` : typeof value;
}

/** A random seed for the core's generator: 53 bits, exact as a JS number. */
export function randomSeed() {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return words[0] * 2 ** 21 + (words[1] >>> 11);
}
