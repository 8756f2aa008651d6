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
// kFreshMs of its sender's clock, and its numbers must rise.
//
// All crypto is WebCrypto's (globalThis.crypto.subtle, in browsers and Node).
import { argumentError } from './values.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const VERSION = 'rtcmesh/room-seal/v1';
const PASSWORD_ITERATIONS = 600_000; // OWASP's 2023 figure for PBKDF2-HMAC-SHA256
const FRESH_MS = 10 * 60_000; // a new session's first signal may be this old (clocks differ)
const MIN_SECRET_BYTES = 16; // 128 bits
const MAX_SESSIONS_PER_PEER = 64;

function base64url(bytes) {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

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

async function keyMaterial({ secret, password }, room) {
  const subtle = globalThis.crypto.subtle;
  if (secret !== undefined) {
    const bytes = fromBase64url(secret);
    if (!bytes || bytes.length < MIN_SECRET_BYTES) {
      throw argumentError(
        'RTCMesh: secret must be at least 128 random bits in base64url, as RTCMesh.createSecret() makes; ' +
          'for a password a person chose, pass it as `password`',
      );
    }
    return subtle.importKey('raw', bytes, 'HKDF', false, ['deriveKey']);
  }
  if (typeof password !== 'string' || password === '' || password.length > 1024) {
    throw argumentError('RTCMesh: password must be a string of 1..1024 characters');
  }
  const base = await subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveBits']);
  const salt = encoder.encode(`${VERSION}/password/${room}`);
  const bits = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: PASSWORD_ITERATIONS }, base, 256);
  return subtle.importKey('raw', bits, 'HKDF', false, ['deriveKey']);
}

export class RoomSeal {
  #key;
  #room;
  #id;
  #session = base64url(globalThis.crypto.getRandomValues(new Uint8Array(16)));
  #seq = 0;
  #peers = new Map(); // from -> { sessions: Map(session -> highest seq) }

  /**
   * The seal of `room` for member `id`, from `{ secret }` (RTCMesh.createSecret())
   * or `{ password }` (slow on purpose: each guess costs PBKDF2's 600,000 rounds).
   */
  static async create(room, id, options) {
    if (typeof room !== 'string' || room === '') throw argumentError('RTCMesh: room must be a non-empty string');
    const material = await keyMaterial(options, room);
    const key = await globalThis.crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode(VERSION), info: encoder.encode(room) },
      material,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    );
    return new RoomSeal(key, room, id);
  }

  constructor(key, room, id) {
    this.#key = key;
    this.#room = room;
    this.#id = id;
  }

  /** `body` (any JSON value) sealed for member `to`: `{ sealed }`, to send as the signal's data. */
  async seal(to, body) {
    const inner = { session: this.#session, seq: ++this.#seq, at: Date.now(), body };
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
    const sealed = await globalThis.crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: this.#context(this.#id, to) },
      this.#key,
      encoder.encode(JSON.stringify(inner)),
    );
    const out = new Uint8Array(12 + sealed.byteLength);
    out.set(iv);
    out.set(new Uint8Array(sealed), 12);
    return { sealed: base64url(out) };
  }

  /**
   * The body of a signal from `from`, or null if it does not open with this
   * room's key for this pair of members, or replays one already seen.
   */
  async open(from, data) {
    const bytes = fromBase64url(data?.sealed);
    if (!bytes || bytes.length < 12 + 16) return null;
    let plain;
    try {
      plain = await globalThis.crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: bytes.subarray(0, 12), additionalData: this.#context(from, this.#id) },
        this.#key,
        bytes.subarray(12),
      );
    } catch {
      return null; // another key (no secret), another pair of members, or altered
    }
    let inner;
    try {
      inner = JSON.parse(decoder.decode(plain));
    } catch {
      return null;
    }
    return this.#fresh(from, inner) ? inner.body : null;
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
