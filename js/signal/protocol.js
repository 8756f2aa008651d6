// The signaling protocol: JSON text frames over one WebSocket per peer.
//
// Client -> server
//   { type: 'join',   room, peer, token? } first frame: enter a room as `peer`;
//                                         `token` (from an earlier welcome)
//                                         takes the id back after a reconnect
//   { type: 'signal', to, data }          forward `data` to peer `to` in the room
//   { type: 'leave' }                     leave the room at once (no grace period)
//   { type: 'relay',  to, data }          last-resort path (servers started with
//                                         `relay`): `data` is base64 of a mesh frame
//                                         for `to`, which no link reaches
// Server -> client
//   { type: 'welcome', room, peer, peers, token, resumed, iceServers?, relay? }
//                                         joined; `peers` are the others present,
//                                         `token` resumes this id after a blip;
//                                         `iceServers` (servers started with `turn`):
//                                         RTCIceServer entries with time-limited
//                                         TURN credentials minted for this member;
//                                         `relay` (servers started with `relay`):
//                                         { maxFrameBytes, bytesPerSecond }
//   { type: 'ice-servers', iceServers }   fresh TURN credentials, before the
//                                         welcome's are half spent (servers with `turn`)
//   { type: 'peer-joined', peer }  /  { type: 'peer-left', peer }
//   { type: 'signal', from, data }        forwarded from `from`
//   { type: 'relay', from, data }         a relayed mesh frame from `from` (base64)
//   { type: 'error', code, message, fatal, peer? } fatal errors are followed by a close;
//                                         `peer`: the member a refused signal was for
//                                         whose reason is the same `code`
//
// `data` is opaque to the server (an offer, answer or candidate from RTCMesh);
// it is bounded in size (the frame) and in nesting depth.

// Room and peer names: what a UUID, a short name or a slug needs, nothing that
// could confuse logs or URLs.
const NAME_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;

export const ErrorCodes = Object.freeze({
  BAD_JSON: 'bad-json',
  BAD_FRAME: 'bad-frame',
  TOO_DEEP: 'too-deep',
  UNKNOWN_TYPE: 'unknown-type',
  NOT_JOINED: 'not-joined',
  ALREADY_JOINED: 'already-joined',
  ID_TAKEN: 'id-taken',
  UNKNOWN_PEER: 'unknown-peer',
  PEER_AWAY: 'peer-away',
  ROOM_FULL: 'room-full',
  TOO_LARGE: 'too-large',
  RATE_LIMIT: 'rate-limit',
  JOIN_RATE: 'join-rate',
  TOO_MANY_SOCKETS: 'too-many-sockets', // from one IP address
  SERVER_FULL: 'server-full', // sockets in total
  TOO_MANY_ROOMS: 'too-many-rooms',
  JOIN_TIMEOUT: 'join-timeout',
  SLOW_READER: 'slow-reader',
  ORIGIN_REFUSED: 'origin-refused',
  RELAY_OFF: 'relay-off', // a relay frame to a server started without `relay`
  RELAY_LIMIT: 'relay-limit', // past the relay byte rate: the frame is dropped (the mesh resends)
  REPLACED: 'replaced', // the id was resumed on another socket
  SHUTDOWN: 'shutdown',
  INTERNAL: 'internal',
});

/** WebSocket close codes the server uses; the close reason is the error code. */
export const CloseCodes = Object.freeze({
  GOING_AWAY: 1001, // server shutting down
  POLICY: 1008, // room-full, protocol misuse
  TOO_BIG: 1009, // too-large
  TRY_LATER: 1013, // rate-limit, server-full, too-many-sockets, too-many-rooms
  JOIN_TIMEOUT: 4001,
  SLOW_READER: 4002,
  ORIGIN_REFUSED: 4003,
  REPLACED: 4004,
  LEAVE: 4005, // client -> server: leaving for good, no grace period
});

/**
 * Fatal errors a client may retry later (with backoff, maybe on another
 * server); every other fatal error is final.
 */
export const RETRYABLE_CODES = new Set([
  ErrorCodes.RATE_LIMIT, ErrorCodes.JOIN_RATE, ErrorCodes.TOO_MANY_SOCKETS, ErrorCodes.SERVER_FULL,
  ErrorCodes.TOO_MANY_ROOMS, ErrorCodes.JOIN_TIMEOUT, ErrorCodes.SLOW_READER, ErrorCodes.SHUTDOWN,
  ErrorCodes.INTERNAL,
]);

export function isValidName(value) {
  return typeof value === 'string' && NAME_PATTERN.test(value);
}

/** A frame-level error: what to tell the sender. */
export class ProtocolError extends Error {
  constructor(code, message, { fatal = false, closeCode = CloseCodes.POLICY, peer } = {}) {
    super(message);
    this.code = code;
    this.fatal = fatal; // the connection is closed after the error frame
    this.closeCode = closeCode;
    this.peer = peer; // the member a refused signal was for, if any
  }
}

/** Nesting depth of a parsed JSON value, without recursion (so any depth is safe to measure). */
export function jsonDepth(value, limit = Infinity) {
  let deepest = 0;
  const stack = [[value, 1]];
  while (stack.length) {
    const [item, depth] = stack.pop();
    if (item === null || typeof item !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

/** Bytes that a base64 text (checked: a multiple of 4 long) decodes to. */
export function base64Bytes(text) {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

function validators({ maxDataDepth, relayMaxFrameBytes }) {
  return {
    join(frame) {
      if (!isValidName(frame.room)) throw new ProtocolError(ErrorCodes.BAD_FRAME, 'join needs a "room": 1-128 characters of A-Z a-z 0-9 . _ : -');
      if (!isValidName(frame.peer)) throw new ProtocolError(ErrorCodes.BAD_FRAME, 'join needs a "peer" id: 1-128 characters of A-Z a-z 0-9 . _ : -');
      if (frame.token !== undefined && (typeof frame.token !== 'string' || !TOKEN_PATTERN.test(frame.token))) {
        throw new ProtocolError(ErrorCodes.BAD_FRAME, 'join "token" must be the string a welcome gave');
      }
      return { type: 'join', room: frame.room, peer: frame.peer, token: frame.token ?? null };
    },
    signal(frame) {
      if (!isValidName(frame.to)) throw new ProtocolError(ErrorCodes.BAD_FRAME, 'signal needs a "to" peer id');
      if (frame.data === undefined) throw new ProtocolError(ErrorCodes.BAD_FRAME, 'signal needs a "data" field');
      if (jsonDepth(frame.data, maxDataDepth) > maxDataDepth) {
        throw new ProtocolError(ErrorCodes.TOO_DEEP, `signal "data" is nested deeper than ${maxDataDepth} levels`);
      }
      return { type: 'signal', to: frame.to, data: frame.data };
    },
    leave() {
      return { type: 'leave' };
    },
    relay(frame) {
      if (!isValidName(frame.to)) throw new ProtocolError(ErrorCodes.BAD_FRAME, 'relay needs a "to" peer id');
      if (typeof frame.data !== 'string' || frame.data.length % 4 !== 0 || !BASE64_PATTERN.test(frame.data)) {
        throw new ProtocolError(ErrorCodes.BAD_FRAME, 'relay "data" must be a base64 string', { peer: frame.to });
      }
      if (base64Bytes(frame.data) > relayMaxFrameBytes) {
        throw new ProtocolError(ErrorCodes.TOO_LARGE, `relay "data" of ${base64Bytes(frame.data)} bytes exceeds the limit of ${relayMaxFrameBytes}`, { peer: frame.to });
      }
      return { type: 'relay', to: frame.to, data: frame.data };
    },
  };
}

const validatorTables = new Map(); // "maxDataDepth relayMaxFrameBytes" -> validators

/** Parses and validates one client frame; throws ProtocolError when it is bad. */
export function parseClientFrame(text, { maxDataDepth = 32, relayMaxFrameBytes = 40 * 1024 } = {}) {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch (error) {
    throw new ProtocolError(ErrorCodes.BAD_JSON, `frame is not valid JSON (${String(error?.message).slice(0, 80)})`);
  }
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) {
    throw new ProtocolError(ErrorCodes.BAD_FRAME, 'frame must be a JSON object');
  }
  const key = `${maxDataDepth} ${relayMaxFrameBytes}`;
  let table = validatorTables.get(key);
  if (!table) {
    table = validators({ maxDataDepth, relayMaxFrameBytes });
    validatorTables.set(key, table);
  }
  const validate = Object.hasOwn(table, frame.type) ? table[frame.type] : null;
  if (!validate) {
    throw new ProtocolError(ErrorCodes.UNKNOWN_TYPE, `unknown frame type ${JSON.stringify(String(frame.type).slice(0, 64))}; expected join, signal, relay or leave`);
  }
  return validate(frame);
}

/** The text of a server -> client relay frame. `data` has been checked as base64. */
export function relayFrame(from, data) {
  return JSON.stringify({ type: 'relay', from, data });
}

/** The text of a server -> client signal frame. `data` has been depth-checked. */
export function signalFrame(from, data) {
  return JSON.stringify({ type: 'signal', from, data });
}
