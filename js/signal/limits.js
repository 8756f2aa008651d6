// The signaling server's limits (every one an option of `limits`) and the
// token bucket that meters frames and joins.

import { argumentError } from '../api/values.js';
export const defaultLimits = Object.freeze({
  // Frames
  maxMessageBytes: 64 * 1024, // an SDP offer is a few KiB; candidates far less
  maxDataDepth: 32, // nesting of a signal's `data` (an SDP object is 2 deep)
  // Per socket: frames are metered by a token bucket. A member joining a room
  // sends an offer or answer, an end marker and every ICE candidate to each
  // peer: measured with Node's wrtc, 25-32 frames per peer (more under glare
  // and ICE restarts). The burst admits a full room of 64 joining at once
  // with room to spare; the refill is the sustained rate.
  messageBurst: 4000,
  messagesPerSecond: 400,
  maxDelayedMessages: 1000, // past the bucket, frames wait (in order) up to this many
  maxDelayedBytes: 1024 * 1024, // and up to this many bytes
  maxRefusedMessages: 256, // refused frames (delay queue full) before the socket is closed
  joinBurst: 5, // join frames, same scheme: a join/leave loop is slowed to
  joinsPerMinute: 10, // this rate and refused beyond it
  ipJoinBurst: 128, // joins from one address (a loop over new sockets); a whole
  ipJoinsPerMinute: 600, // room behind one NAT can still join at once
  maxSendQueueBytes: 1024 * 1024, // a receiver whose bufferedAmount passes this is dropped
  // The last-resort path (servers started with `relay`): mesh frames between
  // members no link reaches, metered in bytes per socket, on top of the
  // frame bucket. A mesh frame is at most 16 KiB and a header.
  relayMaxFrameBytes: 40 * 1024, // as base64 in a frame, well under maxMessageBytes
  relayBurstBytes: 1024 * 1024,
  relayBytesPerSecond: 256 * 1024,
  joinTimeoutMs: 10000, // a socket that has not joined by then is closed
  handshakeTimeoutMs: 5000, // a TCP connection that has not become a WebSocket by then is dropped
  // Server-wide
  maxSocketsPerIp: 64,
  maxSockets: 10000,
  maxRooms: 5000,
  maxPeersPerRoom: 64,
  heartbeatIntervalMs: 30000, // a socket that misses one pong is dropped
  resumeGraceMs: 30000, // a dropped member's id is held for its resume token this long
  // Cluster (Redis) only
  presenceTtlMs: 15000, // a crashed process's members leave within this plus one refresh
  presenceRefreshMs: 5000, // how often a process renews its members and reconciles its rooms
});

const LIMIT_NAMES = new Set(Object.keys(defaultLimits));

/** Merges overrides into the defaults; an unknown name or a bad value throws. */
export function resolveLimits(overrides = {}) {
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (!LIMIT_NAMES.has(name)) throw argumentError(`unknown signaling limit "${name}" (known: ${[...LIMIT_NAMES].join(', ')})`);
    if (typeof value !== 'number' || !(value > 0)) throw argumentError(`signaling limit "${name}" must be a positive number, got ${String(value)}`);
  }
  return Object.freeze({ ...defaultLimits, ...overrides });
}

/**
 * A token bucket (`burst` tokens at most, refilled continuously at
 * `perSecond`) kept as one number: the time at which it would be full again
 * (0: full). Every socket holds two, so the state is a plain number on the
 * connection rather than an object with four fields.
 */
export const bucket = {
  /** Tokens in a bucket whose state is `fullAt`. */
  tokens(fullAt, burst, perSecond, now = Date.now()) {
    return fullAt <= now ? burst : burst - ((fullAt - now) * perSecond) / 1000;
  },

  /** The state after taking a token, or -1 if there is none. */
  take(fullAt, burst, perSecond, now = Date.now()) {
    if (bucket.tokens(fullAt, burst, perSecond, now) < 1) return -1;
    return Math.max(fullAt, now) + 1000 / perSecond;
  },

  /** Milliseconds until a token is available (0 if one is). */
  waitMs(fullAt, burst, perSecond, now = Date.now()) {
    const missing = 1 - bucket.tokens(fullAt, burst, perSecond, now);
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / perSecond);
  },
};

/** The same bucket as an object, where there are few (joins per address). */
export class TokenBucket {
  constructor(burst, perSecond) {
    this.burst = burst;
    this.perSecond = perSecond;
    this.fullAt = 0;
  }

  /** Takes a token if there is one. */
  take(now = Date.now()) {
    const next = bucket.take(this.fullAt, this.burst, this.perSecond, now);
    if (next < 0) return false;
    this.fullAt = next;
    return true;
  }

  /** Milliseconds until a token is available (0 if one is). */
  waitMs(now = Date.now()) {
    return bucket.waitMs(this.fullAt, this.burst, this.perSecond, now);
  }

  /** Whether the bucket has refilled completely (it can be forgotten). */
  full(now = Date.now()) {
    return this.fullAt <= now;
  }
}
