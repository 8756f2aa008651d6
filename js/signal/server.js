// The rtcmesh signaling server: rooms, presence, and forwarding of offers,
// answers and candidates to one named peer. Node only (uses `ws`).
//
//   import { startSignalServer } from 'rtcmesh/signal-server';
//   const server = await startSignalServer({ port: 8787 });
//
// Every limit answers the offender with an error frame naming it, then closes
// that connection; nothing one client sends can affect another room.
import { WebSocketServer } from 'ws';
import { ErrorCodes, ProtocolError, parseClientFrame } from './protocol.js';

export const defaultLimits = Object.freeze({
  maxMessageBytes: 64 * 1024, // an SDP offer is a few KiB; candidates far less
  maxPeersPerRoom: 64,
  maxMessagesPerSecond: 100, // per connection, averaged over one second
  heartbeatIntervalMs: 30000, // a socket that misses one pong is dropped
});

const CloseCodes = Object.freeze({ POLICY: 1008, TOO_BIG: 1009, TRY_LATER: 1013 });

// Fixed-window counter: cheap, and a burst can never exceed twice the rate.
class RateLimiter {
  constructor(perSecond) {
    this.perSecond = perSecond;
    this.windowStart = 0;
    this.count = 0;
  }

  allow(now) {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    return ++this.count <= this.perSecond;
  }
}

class Connection {
  constructor(socket, limits) {
    this.socket = socket;
    this.room = null;
    this.peer = null;
    this.alive = true;
    this.rate = new RateLimiter(limits.maxMessagesPerSecond);
  }

  send(frame) {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  fail(code, message, { fatal = false, closeCode = CloseCodes.POLICY } = {}) {
    this.send({ type: 'error', code, message, fatal });
    if (fatal) this.socket.close(closeCode, code);
  }
}

export class SignalServer {
  /**
   * @param {object} options
   * @param {number} [options.port=0]       0 picks a free port
   * @param {string} [options.host='127.0.0.1']
   * @param {string[]} [options.allowedOrigins] browser Origins let in; absent = any
   * @param {object} [options.limits]       overrides of defaultLimits
   * @param {(line: string) => void} [options.log]
   */
  constructor({ port = 0, host = '127.0.0.1', allowedOrigins = null, limits = {}, log = () => {} } = {}) {
    this.options = { port, host, allowedOrigins };
    this.limits = { ...defaultLimits, ...limits };
    this.log = log;
    this.rooms = new Map(); // room name -> Map(peer id -> Connection)
    this.connections = new Map(); // socket -> Connection
    this.stats = { connections: 0, framesIn: 0, framesForwarded: 0, errors: 0 };
  }

  async start() {
    this.wss = new WebSocketServer({
      port: this.options.port,
      host: this.options.host,
      // Oversized frames are read up to twice the limit so the sender gets a
      // clear error frame; beyond that ws closes with 1009 by itself.
      maxPayload: this.limits.maxMessageBytes * 2,
      verifyClient: (info) => this.#originAllowed(info.origin),
    });
    this.wss.on('connection', (socket) => this.#accept(socket));
    await new Promise((resolve, reject) => {
      this.wss.once('listening', resolve);
      this.wss.once('error', reject);
    });
    this.heartbeat = setInterval(() => this.#checkHeartbeats(), this.limits.heartbeatIntervalMs);
    this.heartbeat.unref?.();
    const { port } = this.wss.address();
    this.url = `ws://${this.options.host}:${port}`;
    return this;
  }

  async close() {
    clearInterval(this.heartbeat);
    for (const client of this.wss?.clients ?? []) client.terminate();
    await new Promise((resolve) => (this.wss ? this.wss.close(resolve) : resolve()));
  }

  /** Peers now present in `room`, for monitoring and tests. */
  peersIn(room) {
    return [...(this.rooms.get(room)?.keys() ?? [])];
  }

  #originAllowed(origin) {
    const allowed = this.options.allowedOrigins;
    // Non-browser clients send no Origin; an allow-list is about browsers.
    return !allowed || !origin || allowed.includes(origin);
  }

  #accept(socket) {
    const connection = new Connection(socket, this.limits);
    this.connections.set(socket, connection);
    this.stats.connections++;
    socket.on('pong', () => { connection.alive = true; });
    socket.on('message', (data, isBinary) => this.#receive(connection, data, isBinary));
    socket.on('close', () => {
      this.#leaveRoom(connection);
      this.connections.delete(socket);
    });
    socket.on('error', (error) => this.log(`socket error: ${error.message}`));
  }

  #receive(connection, data, isBinary) {
    this.stats.framesIn++;
    if (!connection.rate.allow(Date.now())) {
      this.stats.errors++;
      connection.fail(ErrorCodes.RATE_LIMIT, `more than ${this.limits.maxMessagesPerSecond} messages per second`, { fatal: true, closeCode: CloseCodes.TRY_LATER });
      return;
    }
    if (data.length > this.limits.maxMessageBytes) {
      this.stats.errors++;
      connection.fail(ErrorCodes.TOO_LARGE, `message of ${data.length} bytes exceeds the limit of ${this.limits.maxMessageBytes}`, { fatal: true, closeCode: CloseCodes.TOO_BIG });
      return;
    }
    try {
      if (isBinary) throw new ProtocolError(ErrorCodes.BAD_FRAME, 'binary frames are not part of the protocol; send JSON text');
      this.#handle(connection, parseClientFrame(data.toString('utf8')));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.stats.errors++;
      connection.fail(error.code, error.message, { fatal: error.fatal });
    }
  }

  #handle(connection, frame) {
    if (frame.type === 'join') return this.#join(connection, frame);
    if (!connection.room) throw new ProtocolError(ErrorCodes.NOT_JOINED, `send "join" before "${frame.type}"`);
    if (frame.type === 'leave') return this.#leaveRoom(connection);
    return this.#forward(connection, frame);
  }

  #join(connection, { room, peer }) {
    if (connection.room) throw new ProtocolError(ErrorCodes.ALREADY_JOINED, `already in room "${connection.room}" as "${connection.peer}"; send "leave" first`);
    const members = this.rooms.get(room) ?? new Map();
    if (members.has(peer)) throw new ProtocolError(ErrorCodes.PEER_TAKEN, `peer id "${peer}" is already present in room "${room}"`);
    if (members.size >= this.limits.maxPeersPerRoom) {
      throw new ProtocolError(ErrorCodes.ROOM_FULL, `room "${room}" is full (${this.limits.maxPeersPerRoom} peers)`, { fatal: true });
    }
    const others = [...members.keys()];
    members.set(peer, connection);
    this.rooms.set(room, members);
    connection.room = room;
    connection.peer = peer;
    connection.send({ type: 'welcome', room, peer, peers: others });
    for (const other of others) members.get(other).send({ type: 'peer-joined', peer });
    return undefined;
  }

  #forward(connection, { to, data }) {
    const target = this.rooms.get(connection.room)?.get(to);
    if (!target) throw new ProtocolError(ErrorCodes.UNKNOWN_PEER, `no peer "${to}" in room "${connection.room}"`);
    target.send({ type: 'signal', from: connection.peer, data });
    this.stats.framesForwarded++;
  }

  #leaveRoom(connection) {
    const { room, peer } = connection;
    if (!room) return;
    connection.room = null;
    connection.peer = null;
    const members = this.rooms.get(room);
    if (members?.get(peer) !== connection) return;
    members.delete(peer);
    if (members.size === 0) this.rooms.delete(room);
    for (const other of members.values()) other.send({ type: 'peer-left', peer });
  }

  #checkHeartbeats() {
    for (const [socket, connection] of this.connections) {
      if (!connection.alive) {
        this.log(`dropping unresponsive peer ${connection.peer ?? '(not joined)'}`);
        socket.terminate(); // fires 'close', which leaves the room
        continue;
      }
      connection.alive = false;
      socket.ping();
    }
  }
}

/** Creates and starts a server; resolves once it listens (see `server.url`). */
export function startSignalServer(options) {
  return new SignalServer(options).start();
}
