// The signaling protocol: JSON text frames over one WebSocket per peer.
//
// Client -> server
//   { type: 'join',   room, peer }        first frame: enter a room as `peer`
//   { type: 'signal', to, data }          forward `data` to peer `to` in the room
//   { type: 'leave' }                     leave the room (closing the socket also does)
// Server -> client
//   { type: 'welcome', room, peer, peers } joined; `peers` are the others present
//   { type: 'peer-joined', peer }  /  { type: 'peer-left', peer }
//   { type: 'signal', from, data }        forwarded from `from`
//   { type: 'error', code, message, fatal } fatal errors are followed by a close
//
// `data` is opaque to the server (an offer, answer or candidate from RTCMesh).

// Room and peer names: what a UUID, a short name or a slug needs, nothing that
// could confuse logs or URLs.
const NAME_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const ErrorCodes = Object.freeze({
  BAD_JSON: 'bad-json',
  BAD_FRAME: 'bad-frame',
  UNKNOWN_TYPE: 'unknown-type',
  NOT_JOINED: 'not-joined',
  ALREADY_JOINED: 'already-joined',
  PEER_TAKEN: 'peer-taken',
  UNKNOWN_PEER: 'unknown-peer',
  ROOM_FULL: 'room-full',
  TOO_LARGE: 'too-large',
  RATE_LIMIT: 'rate-limit',
});

export function isValidName(value) {
  return typeof value === 'string' && NAME_PATTERN.test(value);
}

/** A frame-level error: what to tell the sender. */
export class ProtocolError extends Error {
  constructor(code, message, { fatal = false } = {}) {
    super(message);
    this.code = code;
    this.fatal = fatal; // the connection is closed after the error frame
  }
}

const validators = {
  join(frame) {
    if (!isValidName(frame.room)) throw new ProtocolError(ErrorCodes.BAD_FRAME, 'join needs a "room": 1-128 characters of A-Z a-z 0-9 . _ : -');
    if (!isValidName(frame.peer)) throw new ProtocolError(ErrorCodes.BAD_FRAME, 'join needs a "peer" id: 1-128 characters of A-Z a-z 0-9 . _ : -');
    return { type: 'join', room: frame.room, peer: frame.peer };
  },
  signal(frame) {
    if (!isValidName(frame.to)) throw new ProtocolError(ErrorCodes.BAD_FRAME, 'signal needs a "to" peer id');
    if (frame.data === undefined) throw new ProtocolError(ErrorCodes.BAD_FRAME, 'signal needs a "data" field');
    return { type: 'signal', to: frame.to, data: frame.data };
  },
  leave() {
    return { type: 'leave' };
  },
};

/** Parses and validates one client frame; throws ProtocolError when it is bad. */
export function parseClientFrame(text) {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch (error) {
    throw new ProtocolError(ErrorCodes.BAD_JSON, `frame is not valid JSON (${error.message})`);
  }
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) {
    throw new ProtocolError(ErrorCodes.BAD_FRAME, 'frame must be a JSON object');
  }
  const validate = Object.hasOwn(validators, frame.type) ? validators[frame.type] : null;
  if (!validate) {
    throw new ProtocolError(ErrorCodes.UNKNOWN_TYPE, `unknown frame type ${JSON.stringify(String(frame.type)).slice(0, 64)}; expected join, signal or leave`);
  }
  return validate(frame);
}
