// Room secrets: signals that only the room's members can read or write.
//
// Every signal (hello, SDP, candidate) travels sealed with AES-256-GCM under
// a key derived from the room's secret and name (HKDF-SHA-256; for a human
// password, PBKDF2-SHA-256 first). The signaling server routes the envelope
// and sees ciphertext only: it can drop signals, but not read, alter, invent
// or replay them. SDP carries the DTLS fingerprint, so a server that cannot
// write SDP cannot put its own peer connection in the middle of a link.
//
// Replays: each sealed signal carries the sender's session (random per
// RoomSeal) and a sequence number; a session is accepted once, within
// FRESH_MS of its sender's clock, and its numbers must rise.
//
// Members: each member signs its hellos with a key pair of its own
// (Ed25519 where WebCrypto has it, else ECDSA P-256). Its hello carries the
// public key, which the others pin to its id until it leaves the room; a
// hello under that id that the key did not sign does not open, nor does a
// later signal that is not under the pair key (below) the hellos gave. So
// the SDP, and the DTLS fingerprint in it, that a member applies was written
// by the member it links to: another member cannot speak for it even with the
// server's help, once its hello arrived (before that, ids are trusted on
// first use: pass the same `identity` each time to keep a key across visits),
// and an id derived from a key (identityId) only ever opens with that key.
//
// Pair keys: each RoomSeal also makes an ECDH P-256 key pair and puts its
// public half in its (signed) hellos. Two members that opened each other's
// hellos derive the same key material (ECDH, then HKDF salted from the room's
// secret and bound to the room and both ids), which no one else holds, not
// another member, not the server. Its first 32 bytes are the relay key: the
// mesh tags frames relayed between them with it and proves each new link with
// it (RTCMesh.setRelayKey). The rest seals the pair's later signals (SDP,
// candidates) with AES-GCM alone: only the other end could have written one,
// so it needs no signature, and costs one WebCrypto call at each end instead
// of two. A member seals with it once it opened the other's hello, which by
// then went out on the same ordered chain as everything it sends after.
//
// All crypto is WebCrypto's (globalThis.crypto.subtle, in browsers and Node).
import { fromBase64, toBase64 } from '../signal/client.js';
import { argumentError } from './values.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const VERSION = 'rtcmesh/room-seal/v1';
const PASSWORD_ITERATIONS = 600_000; // OWASP's 2023 figure for PBKDF2-HMAC-SHA256
const FRESH_MS = 10 * 60_000; // a new session's first signal may be this old (clocks differ)
const MIN_SECRET_BYTES = 16; // 128 bits
const MAX_SESSIONS_PER_PEER = 64;
const ED25519 = { name: 'Ed25519' };
const ECDSA_KEY = { name: 'ECDSA', namedCurve: 'P-256' };
const ECDSA_SIGN = { name: 'ECDSA', hash: 'SHA-256' };
const ECDH_KEY = { name: 'ECDH', namedCurve: 'P-256' };

function base64url(bytes) {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  return fromBase64(text.replace(/-/g, '+').replace(/_/g, '/'));
}

// AES-GCM with a fresh 96-bit IV, as base64url(iv + ciphertext).
async function encrypt(key, additionalData, plain) {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const sealed = await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData }, key, plain);
  const out = new Uint8Array(12 + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), 12);
  return base64url(out);
}

// The plaintext of what encrypt() made under `key`, or null.
async function decrypt(key, additionalData, encoded) {
  const bytes = fromBase64url(encoded);
  if (!bytes || bytes.length < 12 + 16) return null;
  try {
    return await globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, 12), additionalData }, key, bytes.subarray(12));
  } catch {
    return null;
  }
}

// A hello is always signed and sealed under the room's key: it binds the
// member's keys to its id. (RTCMesh.join never batches one.)
const carriesHello = (body) => body?.kind === 'hello';

/** 256 random bits, URL-safe: what RTCMesh.createSecret() returns. */
export function createSecret() {
  return base64url(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

/** An invite link: `pageUrl` with room and secret in the fragment, which browsers never send to a server. */
export function inviteLink(pageUrl, room, secret) {
  const url = new URL(pageUrl);
  url.hash = new URLSearchParams({ room, secret }).toString();
  return url.toString();
}

/** { room, secret } from an invite link (or location), or null when it holds none. */
export function readInvite(link) {
  const hash = new URL(String(link)).hash.slice(1);
  const params = new URLSearchParams(hash);
  const room = params.get('room');
  const secret = params.get('secret');
  return room && secret ? { room, secret } : null;
}

const KEY_ID = /^key-[A-Za-z0-9_-]{27}$/; // "key-" and 160 bits of SHA-256(public key), base64url

/**
 * The member id that belongs to `identity` (a CryptoKeyPair from
 * createIdentity(), or its public key): "key-" and 160 bits of the SHA-256
 * of the public key. In a room with a secret, a hello under such an id opens
 * only if it carries that very key, so no one can take it first (other ids
 * are trusted on first use).
 */
export async function identityId(identity) {
  const publicKey = identity?.publicKey ?? identity;
  if (publicKey?.type !== 'public') throw argumentError('RTCMesh: identity must be a CryptoKeyPair from RTCMesh.createIdentity() (or its public key)');
  return idOfRawKey(await globalThis.crypto.subtle.exportKey('raw', publicKey));
}

// identityId() from the public key's raw bytes, as a hello carries them.
async function idOfRawKey(raw) {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', raw));
  return `key-${base64url(digest.subarray(0, 20))}`;
}

/** A member's signing key pair: Ed25519 where WebCrypto has it, else ECDSA P-256; the private key never leaves WebCrypto. */
export async function createIdentity() {
  try {
    return await globalThis.crypto.subtle.generateKey(ED25519, false, ['sign', 'verify']);
  } catch {
    return globalThis.crypto.subtle.generateKey(ECDSA_KEY, false, ['sign', 'verify']);
  }
}

const algorithmOf = (key) => (key.algorithm.name === 'Ed25519' ? { key: ED25519, sign: ED25519 } : { key: ECDSA_KEY, sign: ECDSA_SIGN });

async function importPublicKey(alg, encoded) {
  const bytes = fromBase64url(encoded);
  if (!bytes || (alg !== 'Ed25519' && alg !== 'ECDSA')) return null;
  try {
    return await globalThis.crypto.subtle.importKey('raw', bytes, alg === 'Ed25519' ? ED25519 : ECDSA_KEY, true, ['verify']);
  } catch {
    return null;
  }
}

async function importDhKey(encoded) {
  const bytes = fromBase64url(encoded);
  if (!bytes || bytes.length !== 65) return null; // an uncompressed P-256 point
  try {
    return await globalThis.crypto.subtle.importKey('raw', bytes, ECDH_KEY, false, []);
  } catch {
    return null;
  }
}

// The secret's bytes, or (for a password) null; throws on a bad argument.
function checkedSecret(room, { secret, password, identity }) {
  if (typeof room !== 'string' || room === '') throw argumentError('RTCMesh: room must be a non-empty string');
  if (identity != null && !(identity?.privateKey?.type === 'private' && identity?.publicKey?.type === 'public')) {
    throw argumentError('RTCMesh: identity must be a CryptoKeyPair from RTCMesh.createIdentity()');
  }
  if (secret !== undefined) {
    const bytes = fromBase64url(secret);
    if (!bytes || bytes.length < MIN_SECRET_BYTES) {
      throw argumentError(
        'RTCMesh: secret must be at least 128 random bits in base64url, as RTCMesh.createSecret() makes; ' +
          'for a password a person chose, pass it as `password`',
      );
    }
    return bytes;
  }
  if (typeof password !== 'string' || password === '' || password.length > 1024) {
    throw argumentError('RTCMesh: password must be a string of 1..1024 characters');
  }
  return null;
}

async function keyMaterial({ password }, room, secretBytes) {
  const subtle = globalThis.crypto.subtle;
  if (secretBytes) return subtle.importKey('raw', secretBytes, 'HKDF', false, ['deriveKey', 'deriveBits']);
  const base = await subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveBits']);
  const salt = encoder.encode(`${VERSION}/password/${room}`);
  const bits = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: PASSWORD_ITERATIONS }, base, 256);
  return subtle.importKey('raw', bits, 'HKDF', false, ['deriveKey', 'deriveBits']);
}

export class RoomSeal {
  #key;
  #room;
  #id;
  #identity; // our CryptoKeyPair
  #hello; // our public key, as hellos carry it
  #session = base64url(globalThis.crypto.getRandomValues(new Uint8Array(16)));
  #seq = 0;
  #peers = new Map(); // from -> Map(session -> highest seq)
  #pinned = new Map(); // from -> { key: its public CryptoKey, encoded: as its first hello carried it }
  #dh; // our ECDH CryptoKeyPair, whose public half our hellos carry
  #relayKeys = new Map(); // from -> the 32-byte key we share (from its latest hello)
  #pairKeys = new Map(); // from -> the AES-GCM key that seals its signals after the hellos
  #roomSalt; // from the room's secret: relay keys are bound to it too

  /**
   * Throws what create() would for these arguments, at once: RTCMesh.join
   * checks before it joins, and derives the keys while it joins.
   */
  static check(room, options) {
    checkedSecret(room, options ?? {});
  }

  /**
   * The seal of `room` for member `id`, from `{ secret }` (RTCMesh.createSecret())
   * or `{ password }` (slow on purpose: each guess costs PBKDF2's 600,000 rounds);
   * `identity` (createIdentity(), which IndexedDB can store) keeps a member's
   * signing key across visits, else each RoomSeal makes one.
   */
  static async create(room, id, options) {
    const secretBytes = checkedSecret(room, options ?? {});
    const subtle = globalThis.crypto.subtle;
    // Side by side where one does not need another: each is a trip through
    // WebCrypto's thread pool, and a join waits for them all.
    const [identity, material, dh] = await Promise.all([
      options?.identity ?? createIdentity(),
      keyMaterial(options, room, secretBytes),
      subtle.generateKey(ECDH_KEY, false, ['deriveKey']),
    ]);
    const [key, roomSalt, identityKey, dhKey] = await Promise.all([
      subtle.deriveKey(
        { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode(VERSION), info: encoder.encode(room) },
        material,
        { name: 'AES-GCM', length: 256 },
        false,
        ['encrypt', 'decrypt'],
      ),
      // Mixed into every pair's keys: a pair's key, and each link's proof
      // under it, also confirms that both hold the room's secret.
      subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: encoder.encode(`${VERSION}/relay`), info: encoder.encode(room) }, material, 256),
      subtle.exportKey('raw', identity.publicKey),
      subtle.exportKey('raw', dh.publicKey),
    ]);
    const hello = {
      alg: identity.publicKey.algorithm.name,
      key: base64url(new Uint8Array(identityKey)),
      dh: base64url(new Uint8Array(dhKey)),
    };
    return new RoomSeal(key, room, id, identity, hello, dh, new Uint8Array(roomSalt));
  }

  constructor(key, room, id, identity, hello, dh, roomSalt) {
    this.#roomSalt = roomSalt;
    this.#key = key;
    this.#room = room;
    this.#id = id;
    this.#identity = identity;
    this.#hello = hello;
    this.#dh = dh;
  }

  /** The 32-byte key we share with `peer` since its hello opened (a Uint8Array), or null. */
  relayKey(peer) {
    return this.#relayKeys.get(peer) ?? null;
  }

  /** Our hello's body: `{ kind: 'hello', alg, key, dh }` plus `extra`. */
  hello(extra = {}) {
    return { kind: 'hello', ...this.#hello, ...extra };
  }

  /** Forget what we pinned for `peer` (it left the room: its id may come back with another key). */
  forget(peer) {
    this.#pinned.delete(peer);
    this.#relayKeys.delete(peer);
    this.#pairKeys.delete(peer);
  }

  /**
   * `body` (any JSON value but null) sealed for member `to`, as the signal's
   * data: `{ pair }` under our pair key once `to`'s hello opened here, else
   * (and always for a hello) `{ sealed }`, signed and under the room's key.
   */
  async seal(to, body) {
    const signed = { session: this.#session, seq: ++this.#seq, at: Date.now(), body };
    const text = JSON.stringify(signed);
    const pairKey = this.#pairKeys.get(to);
    if (pairKey && !carriesHello(body)) return { pair: await encrypt(pairKey, this.#context(this.#id, to), encoder.encode(text)) };
    const signature = await globalThis.crypto.subtle.sign(
      algorithmOf(this.#identity.privateKey).sign,
      this.#identity.privateKey,
      this.#signedBytes(this.#id, to, text),
    );
    const inner = { signed: text, signature: base64url(new Uint8Array(signature)) };
    return { sealed: await encrypt(this.#key, this.#context(this.#id, to), encoder.encode(JSON.stringify(inner))) };
  }

  /**
   * The body of a signal from `from`, or null if it does not open with this
   * room's key for this pair of members, or replays one already seen.
   */
  async open(from, data) {
    if (typeof data?.pair === 'string') return this.#openPaired(from, data.pair);
    const plain = await decrypt(this.#key, this.#context(from, this.#id), data?.sealed);
    if (!plain) return null; // another key (no secret), another pair of members, or altered
    let inner;
    let signed;
    try {
      inner = JSON.parse(decoder.decode(plain));
      signed = JSON.parse(inner.signed);
    } catch {
      return null;
    }
    const signature = fromBase64url(inner.signature);
    if (!signature) return null;
    // A hello's pair keys are derived while its signature is checked: each
    // WebCrypto call is a trip through a thread pool, and a hello is on the
    // path of every new link. What a bad signature got derived is dropped.
    const hello = signed?.body?.kind === 'hello';
    const verified = this.#keyFor(from, signed?.body).then(async (key) => {
      if (!key) return null;
      const bytes = this.#signedBytes(from, this.#id, inner.signed);
      return (await globalThis.crypto.subtle.verify(algorithmOf(key).sign, key, signature, bytes).catch(() => false)) ? key : null;
    });
    const [key, keys] = await Promise.all([verified, hello ? this.#derivePairKeys(from, signed.body.dh) : null]);
    if (!key) return null;
    if (!hello) return this.#fresh(from, signed) ? (signed.body ?? null) : null;
    if (!keys || !this.#fresh(from, signed)) return null;
    this.#pinned.set(from, { key, encoded: signed.body.key });
    this.#relayKeys.set(from, keys.relayKey);
    this.#pairKeys.set(from, keys.pairKey);
    return signed.body;
  }

  // A signal under the key `from` and we derived from each other's hellos.
  async #openPaired(from, encoded) {
    const key = this.#pairKeys.get(from);
    const plain = key && (await decrypt(key, this.#context(from, this.#id), encoded));
    if (!plain) return null; // no hello of `from` opened here (yet), or altered
    let signed;
    try {
      signed = JSON.parse(decoder.decode(plain));
    } catch {
      return null;
    }
    return !carriesHello(signed?.body) && this.#fresh(from, signed) ? (signed.body ?? null) : null;
  }

  // ECDH of our key pair and the one in `from`'s hello, through HKDF bound to
  // the room and both ids (in the same order on both sides): the relay key's
  // 32 bytes, and the pair key that seals signals.
  async #derivePairKeys(from, encoded) {
    const theirs = await importDhKey(encoded);
    if (!theirs) return null;
    const subtle = globalThis.crypto.subtle;
    try {
      const base = await subtle.deriveKey({ name: 'ECDH', public: theirs }, this.#dh.privateKey, 'HKDF', false, ['deriveBits', 'deriveKey']);
      const [first, second] = [this.#id, from].sort();
      const hkdf = (use) => ({ name: 'HKDF', hash: 'SHA-256', salt: this.#roomSalt, info: encoder.encode(`${this.#room}\n${first}\n${second}${use}`) });
      const [relayBits, pairKey] = await Promise.all([
        subtle.deriveBits(hkdf(''), base, 256),
        subtle.deriveKey(hkdf('\nsignals'), base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']),
      ]);
      return { relayKey: new Uint8Array(relayBits), pairKey };
    } catch {
      return null; // not a point on the curve
    }
  }

  // The key a signal from `from` must be signed with: the pinned one, or,
  // for a first hello, the one it carries. A "key-" id is checked against
  // the key's bytes as they came, side by side with importing them (each is
  // a trip through WebCrypto, on the path of every new link).
  async #keyFor(from, body) {
    const pinned = this.#pinned.get(from);
    if (body?.kind !== 'hello') return pinned?.key ?? null;
    if (pinned) return body.alg === pinned.key.algorithm.name && body.key === pinned.encoded ? pinned.key : null; // another key under a pinned id
    const namesKey = KEY_ID.test(from);
    const raw = namesKey ? fromBase64url(body.key) : null; // null if not base64url: then no id matches
    const [key, named] = await Promise.all([importPublicKey(body.alg, body.key), raw && idOfRawKey(raw)]);
    if (key && namesKey && named !== from) return null; // an id that names another key
    return key;
  }

  #signedBytes(from, to, text) {
    return encoder.encode(`${VERSION}/signed\n${this.#room}\n${from}\n${to}\n${text}`);
  }

  // Bound to the room and to both members: a signal sealed for one pair does
  // not open for another, so the server cannot redirect it.
  #context(from, to) {
    return encoder.encode(`${VERSION}\n${this.#room}\n${from}\n${to}`);
  }

  #fresh(from, inner) {
    if (typeof inner?.session !== 'string' || !Number.isSafeInteger(inner.seq) || !Number.isFinite(inner.at)) return false;
    let sessions = this.#peers.get(from);
    if (!sessions) this.#peers.set(from, (sessions = new Map()));
    const highest = sessions.get(inner.session);
    if (highest === undefined) {
      if (Math.abs(Date.now() - inner.at) > FRESH_MS) return false; // an old session, replayed
      if (sessions.size >= MAX_SESSIONS_PER_PEER) sessions.delete(sessions.keys().next().value);
    } else if (inner.seq <= highest) {
      return false; // replayed within its session
    }
    sessions.set(inner.session, inner.seq);
    return true;
  }
}
