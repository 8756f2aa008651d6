// The rtcmesh signaling server: rooms, presence, and forwarding of offers,
// answers and candidates to one named peer. Node only (uses `ws`).
//
//   import { startSignalServer } from 'rtcmesh/signal-server';
//   const server = await startSignalServer({ port: 8787 });
//   const node = await startSignalServer({ port: 8787, redis: 'redis://127.0.0.1:6379' });
//
// Every handler catches: no frame, sequence of frames or connection pattern
// can stop the process or reach another room. Each limit (limits.js) answers
// the offender with an error frame naming it; fatal ones then close with a
// close code and the error code as the reason.
import http from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { Connection } from './connection.js';
import { LocalHub } from './local-hub.js';
import { TokenBucket, resolveLimits } from './limits.js';
import { CloseCodes, ErrorCodes, ProtocolError, base64Bytes, parseClientFrame, relayFrame, signalFrame } from './protocol.js';
import { mintTurnCredentials, resolveTurnOptions } from './turn.js';

export { defaultLimits } from './limits.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function isLoopbackHost(host) {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Whether a browser Origin is a page served from this machine. */
export function isLoopbackOrigin(origin) {
  try {
    const { protocol, hostname } = new URL(origin);
    return (protocol === 'http:' || protocol === 'https:') && (isLoopbackHost(hostname) || hostname.endsWith('.localhost'));
  } catch {
    return false;
  }
}

// The server's WebSockets carry their Connection in a field of their own
// class (set once accepted), which the shared listeners read.
class ServerSocket extends WebSocket {
  rtcmesh = null;
}

export class SignalServer {
  /**
   * @param {object} options
   * @param {number} [options.port=0]          0 picks a free port
   * @param {string} [options.host='127.0.0.1']
   * @param {string[]} [options.allowedOrigins] browser Origins let in; absent = loopback pages only
   * @param {string} [options.redis]           redis:// URL: share rooms with other processes
   * @param {object} [options.limits]          overrides of defaultLimits
   * @param {object} [options.turn]            { urls, secret, lifetimeSeconds = 3600 }: mint
   *                                           TURN REST API credentials into every welcome
   * @param {boolean} [options.relay=false]  the last-resort path: forward mesh frames between
   *                                           members that no link reaches (limits relay*)
   * @param {(line: string) => void} [options.log]
   */
  constructor({ port = 0, host = '127.0.0.1', allowedOrigins = null, redis = null, limits = {}, turn = null, relay = false, log = () => {}, nodeId } = {}) {
    this.options = { port, host, allowedOrigins: allowedOrigins?.length ? [...allowedOrigins] : null, redis, nodeId, relay: relay === true };
    this.limits = resolveLimits(limits);
    // Not in `options`: the shared secret stays out of anything printed.
    this.turn = resolveTurnOptions(turn);
    this.log = log;
    this.connections = new Set();
    this.departing = new Set(); // departures on their way to the hub
    this.warning = null;
    this.socketsPerIp = new Map(); // TCP connections (handshakes included) per address
    this.joinsPerIp = new Map(); // address -> TokenBucket of joins
    this.tcpSockets = 0;
    // refused: sockets turned away; delayedFrames / refusedFrames: frames past the token bucket.
    this.stats = { connections: 0, framesIn: 0, framesForwarded: 0, errors: 0, refused: 0, slowReaders: 0, internalErrors: 0, delayedFrames: 0, refusedFrames: 0, relayedBytes: 0, relayRefused: 0 };
    // What every Connection shares, so that each holds one reference to it.
    this.shared = { limits: this.limits, stats: this.stats, log, handle: (connection, text) => this.#handle(connection, text) };
    // Deadlines are checked by one sweep (#sweep), not a timer per socket:
    // TCP sockets that have not become WebSockets yet (socket -> deadline),
    // and connections that have not joined (their joinDeadline).
    this.halfOpen = new Map();
    this.unjoined = new Set();
    this.refusedSockets = new Set(); // refused WebSockets, closing; ended by close()
    // Listeners shared by every socket (called with the socket as `this`):
    // one function each per server, not a closure per socket.
    const server = this;
    this.listeners = {
      tcpClose() { server.#tcpClosed(this); },
      message(data, isBinary) { server.#receive(this.rtcmesh, data, isBinary); },
      pong() { this.rtcmesh.alive = true; },
      close(code) { server.#closed(this.rtcmesh, code); },
      error(error) { server.log(`socket error: ${error.message}`); },
    };
  }

  async start() {
    if (this.options.redis) {
      const { RedisHub } = await import('./redis-hub.js');
      this.hub = await RedisHub.connect(this.options.redis, this.limits, this.log, this.options.nodeId);
    } else {
      this.hub = new LocalHub(this.limits, this.log);
    }
    this.http = http.createServer((request, response) => {
      response.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      response.end('rtcmesh signaling server: connect with a WebSocket\n');
    });
    this.http.on('connection', (socket) => this.#tcpConnection(socket));
    this.http.on('upgrade', (request, socket, head) => this.#upgrade(request, socket, head));
    this.http.on('clientError', (_error, socket) => socket.destroy());
    // Oversized frames are read up to twice the limit so the sender gets a
    // clear error frame; beyond that ws closes with 1009 by itself.
    // clientTracking off: the server keeps its own sets of sockets.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.limits.maxMessageBytes * 2, clientTracking: false, WebSocket: ServerSocket });
    try {
      await new Promise((resolve, reject) => {
        this.http.once('error', reject);
        this.http.listen(this.options.port, this.options.host, () => {
          this.http.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await this.hub.close(); // e.g. the port is taken: do not keep Redis connections open
      throw error;
    }
    this.http.on('error', (error) => this.log(`server error: ${error.message}`));
    this.heartbeat = setInterval(() => this.#checkHeartbeats(), this.limits.heartbeatIntervalMs);
    this.heartbeat.unref?.();
    // A deadline is enforced up to one sweep late: a quarter of the shorter
    // one, at most a second.
    const sweepMs = Math.max(10, Math.min(1000, Math.min(this.limits.joinTimeoutMs, this.limits.handshakeTimeoutMs) / 4));
    this.sweeper = setInterval(() => this.#sweep(), sweepMs);
    this.sweeper.unref?.();
    const { port } = this.http.address();
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    this.url = `ws://${host}:${port}`;
    this.warning = SignalServer.bindWarning(this.options.host, this.options.allowedOrigins);
    if (this.warning) this.log(this.warning);
    return this;
  }

  /** The warning printed for a non-loopback bind with no allow-list, or null. */
  static bindWarning(host, allowedOrigins) {
    if (allowedOrigins?.length || isLoopbackHost(host)) return null;
    return `warning: listening on ${host} with no allowed origins: only pages from localhost and clients that send no Origin are accepted; pass --origin https://your.app`;
  }

  /**
   * Closes every socket (1001 "shutdown"; members are held for their grace
   * period, so in a cluster they resume on another process) and stops.
   */
  async close() {
    clearInterval(this.heartbeat);
    clearInterval(this.sweeper);
    for (const connection of this.connections) connection.close(CloseCodes.GOING_AWAY, ErrorCodes.SHUTDOWN);
    for (const connection of this.connections) connection.socket.terminate();
    for (const socket of this.refusedSockets) socket.terminate();
    for (const socket of this.halfOpen.keys()) socket.destroy();
    this.http?.closeAllConnections?.();
    await new Promise((resolve) => (this.http?.listening ? this.http.close(() => resolve()) : resolve()));
    // Let each socket's departure reach the hub (bounded: terminate() closes at once).
    for (let i = 0; i < 100 && this.connections.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await Promise.allSettled([...this.departing]);
    await this.hub?.close();
  }

  /** Peers now present in `room` (on any process), for monitoring and tests. */
  peersIn(room) {
    return this.hub.peersIn(room);
  }

  get socketCount() {
    return this.connections.size;
  }

  #originAllowed(origin) {
    if (!origin) return true; // non-browser clients send none
    const allowed = this.options.allowedOrigins;
    return allowed ? allowed.includes(origin) : isLoopbackOrigin(origin);
  }

  #tcpConnection(socket) {
    // Read now: net.Socket keeps the address, so it is there again at close.
    const ip = socket.remoteAddress ?? '?';
    this.tcpSockets++;
    this.socketsPerIp.set(ip, (this.socketsPerIp.get(ip) ?? 0) + 1);
    socket.on('close', this.listeners.tcpClose);
    // Far over a cap (answered ones included): cut off without a handshake.
    const over = (cap) => cap + Math.max(16, cap / 4);
    if (this.tcpSockets > over(this.limits.maxSockets) || this.socketsPerIp.get(ip) > over(this.limits.maxSocketsPerIp)) {
      socket.destroy();
      return;
    }
    // Half-open handshakes are not held: the upgrade must come soon.
    this.halfOpen.set(socket, Date.now() + this.limits.handshakeTimeoutMs);
  }

  #tcpClosed(socket) {
    this.halfOpen.delete(socket);
    const ip = socket.remoteAddress ?? '?';
    this.tcpSockets--;
    const left = this.socketsPerIp.get(ip) - 1;
    if (left > 0) this.socketsPerIp.set(ip, left);
    else this.socketsPerIp.delete(ip);
  }

  #upgrade(request, socket, head) {
    this.halfOpen.delete(socket);
    try {
      this.wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, request));
    } catch (error) {
      this.log(`upgrade failed: ${error.message}`);
      socket.destroy();
    }
  }

  #accept(socket, request) {
    const ip = request.socket.remoteAddress ?? '?';
    const connection = new Connection(socket, ip, this.shared);
    socket.rtcmesh = connection;
    this.stats.connections++;
    socket.on('error', this.listeners.error);
    try {
      this.#admit(connection, socket, request, ip);
    } catch (error) {
      this.#internal(connection, error);
      connection.close(CloseCodes.TRY_LATER, ErrorCodes.INTERNAL);
    }
  }

  #admit(connection, socket, request, ip) {
    // Refusals are sent over the WebSocket, so a browser's client can tell
    // what happened (a refused handshake looks like a network error there).
    const refusal = this.#refusal(request, ip);
    if (refusal) {
      this.stats.refused++;
      this.refusedSockets.add(socket);
      socket.once('close', () => this.refusedSockets.delete(socket));
      connection.fail(...refusal);
      return;
    }
    this.connections.add(connection);
    this.#armJoinDeadline(connection);
    socket.on('pong', this.listeners.pong);
    socket.on('message', this.listeners.message);
    socket.on('close', this.listeners.close);
  }

  #closed(connection, code) {
    try {
      this.unjoined.delete(connection);
      this.connections.delete(connection);
      connection.closing = true;
      // A client that closes on purpose has left: our leave code, or the
      // 1000/1001 a browser sends when its page closes or reloads. A socket
      // that drops without a close frame (1006), or that we closed, keeps its
      // id for the grace period.
      const leaving = code === CloseCodes.LEAVE || (connection.closeReason === undefined && (code === 1000 || code === 1001));
      // After the frame being handled (a join, say), so the hub sees it.
      const departure = connection.drained.catch(() => {}).then(() => this.#departed(connection, leaving));
      this.departing.add(departure);
      departure.finally(() => this.departing.delete(departure));
    } catch (error) {
      this.log(`close: ${error?.stack ?? error}`);
    }
  }

  /** An unjoined socket (new, or after a leave) is closed after joinTimeoutMs (see #sweep). */
  #armJoinDeadline(connection) {
    connection.joinDeadline = Date.now() + this.limits.joinTimeoutMs;
    this.unjoined.add(connection);
  }

  /** Enforces the handshake and join deadlines. */
  #sweep() {
    const now = Date.now();
    for (const [socket, deadline] of this.halfOpen) {
      if (deadline > now) continue;
      this.halfOpen.delete(socket);
      socket.destroy();
    }
    for (const connection of this.unjoined) {
      if (connection.joinDeadline > now) continue;
      this.unjoined.delete(connection);
      try {
        if (!connection.joined) connection.fail(ErrorCodes.JOIN_TIMEOUT, `no join within ${this.limits.joinTimeoutMs} ms`, { fatal: true, closeCode: CloseCodes.JOIN_TIMEOUT });
      } catch (error) {
        this.log(`join deadline: ${error.message}`);
      }
    }
  }

  #refusal(request, ip) {
    const origin = request.headers.origin;
    if (!this.#originAllowed(origin)) {
      return [ErrorCodes.ORIGIN_REFUSED, `origin ${String(origin).slice(0, 100)} is not allowed on this server`, { fatal: true, closeCode: CloseCodes.ORIGIN_REFUSED }];
    }
    if (this.connections.size >= this.limits.maxSockets) {
      return [ErrorCodes.SERVER_FULL, `the server holds its maximum of ${this.limits.maxSockets} sockets`, { fatal: true, closeCode: CloseCodes.TRY_LATER }];
    }
    if (this.socketsPerIp.get(ip) > this.limits.maxSocketsPerIp) {
      return [ErrorCodes.TOO_MANY_SOCKETS, `more than ${this.limits.maxSocketsPerIp} sockets from one address`, { fatal: true, closeCode: CloseCodes.TRY_LATER }];
    }
    return null;
  }

  async #departed(connection, leaving) {
    try {
      if (connection.joined) await (leaving ? this.hub.leave(connection) : this.hub.drop(connection));
    } catch (error) {
      this.stats.internalErrors++;
      this.log(`leaving ${connection.peer}: ${error.message}`);
    }
  }

  #receive(connection, data, isBinary) {
    try {
      this.stats.framesIn++;
      if (data.length > this.limits.maxMessageBytes) {
        this.stats.errors++;
        connection.fail(ErrorCodes.TOO_LARGE, `message of ${data.length} bytes exceeds the limit of ${this.limits.maxMessageBytes}`, { fatal: true, closeCode: CloseCodes.TOO_BIG });
        return;
      }
      if (isBinary) {
        this.stats.errors++;
        connection.fail(ErrorCodes.BAD_FRAME, 'binary frames are not part of the protocol; send JSON text');
        return;
      }
      connection.receive(data.toString('utf8'));
    } catch (error) {
      this.#internal(connection, error);
    }
  }

  async #handle(connection, text) {
    try {
      const frame = parseClientFrame(text, this.limits);
      if (frame.type === 'join') return await this.#join(connection, frame);
      if (!connection.joined) throw new ProtocolError(ErrorCodes.NOT_JOINED, `send "join" before "${frame.type}"`);
      if (frame.type === 'leave') {
        await this.hub.leave(connection);
        connection.room = null;
        connection.peer = null;
        this.#armJoinDeadline(connection);
        return undefined;
      }
      if (frame.type === 'relay') return await this.#relay(connection, frame);
      await this.hub.forward(connection, frame.to, signalFrame(connection.peer, frame.data));
      this.stats.framesForwarded++;
    } catch (error) {
      if (!(error instanceof ProtocolError)) return this.#internal(connection, error);
      this.stats.errors++;
      connection.fail(error.code, error.message, { fatal: error.fatal, closeCode: error.closeCode, peer: error.peer });
    }
    return undefined;
  }

  // The last-resort path: a mesh frame for a member no link reaches. Past
  // the byte rate it is dropped with a non-fatal error: the mesh resends
  // what is not acknowledged, so a sender over the rate slows down.
  async #relay(connection, frame) {
    if (!this.options.relay) throw new ProtocolError(ErrorCodes.RELAY_OFF, 'this server does not relay mesh frames (start it with relay)', { peer: frame.to });
    const bytes = base64Bytes(frame.data);
    if (!connection.takeRelayBytes(bytes)) {
      this.stats.relayRefused++;
      throw new ProtocolError(ErrorCodes.RELAY_LIMIT, `past ${this.limits.relayBytesPerSecond} relayed bytes per second; frame dropped`, { peer: frame.to });
    }
    await this.hub.forward(connection, frame.to, relayFrame(connection.peer, frame.data));
    this.stats.relayedBytes += bytes;
    return undefined;
  }

  async #join(connection, frame) {
    if (connection.joined) throw new ProtocolError(ErrorCodes.ALREADY_JOINED, `already in room "${connection.room}" as "${connection.peer}"; send "leave" first`);
    if (!connection.takeJoin()) {
      throw new ProtocolError(ErrorCodes.JOIN_RATE, `more than ${this.limits.joinBurst} joins at once or ${this.limits.joinsPerMinute} per minute; join refused`);
    }
    let perIp = this.joinsPerIp.get(connection.ip);
    if (!perIp) {
      perIp = new TokenBucket(this.limits.ipJoinBurst, this.limits.ipJoinsPerMinute / 60);
      this.joinsPerIp.set(connection.ip, perIp);
    }
    if (!perIp.take()) {
      throw new ProtocolError(ErrorCodes.JOIN_RATE, `more than ${this.limits.ipJoinBurst} joins at once or ${this.limits.ipJoinsPerMinute} per minute from one address; join refused`);
    }
    const { peers, token, resumed } = await this.hub.join(connection, frame);
    if (connection.closing) {
      // The socket went while the hub was joining: undo, as a drop.
      connection.room = frame.room;
      connection.peer = frame.peer;
      return;
    }
    connection.room = frame.room;
    connection.peer = frame.peer;
    this.unjoined.delete(connection); // re-armed by a leave
    const welcome = { type: 'welcome', room: frame.room, peer: frame.peer, peers, token, resumed };
    // Fresh credentials on every welcome (a resume too): a member that
    // reconnects gets a new lifetime.
    if (this.turn) welcome.iceServers = [this.#mintFor(connection)];
    if (this.options.relay) welcome.relay = { maxFrameBytes: this.limits.relayMaxFrameBytes, bytesPerSecond: this.limits.relayBytesPerSecond };
    connection.sendFrame(welcome);
  }

  /** TURN credentials for a joined connection, remembering when they expire. */
  #mintFor(connection) {
    const entry = mintTurnCredentials(this.turn, connection.peer);
    connection.turnExpires = Number(entry.username.slice(0, entry.username.indexOf(':')));
    return entry;
  }

  // A member linked for hours makes new connections (a newcomer, an ICE
  // restart) long after its welcome: before its credentials are half spent
  // (one heartbeat early, as heartbeats check), it gets fresh ones.
  #refreshTurn(connection) {
    if (!this.turn || !connection.joined || connection.closing) return;
    const left = connection.turnExpires - this.turn.now() / 1000;
    if (left >= this.turn.lifetimeSeconds / 2 + this.limits.heartbeatIntervalMs / 1000) return;
    connection.sendFrame({ type: 'ice-servers', iceServers: [this.#mintFor(connection)] });
  }

  #internal(connection, error) {
    this.stats.internalErrors++;
    this.log(`internal error: ${error?.stack ?? error}`);
    try {
      connection.fail(ErrorCodes.INTERNAL, 'the server failed to handle that frame');
    } catch {
      // nothing more to do for this socket
    }
  }

  #checkHeartbeats() {
    // Forget the join buckets of addresses that have refilled (bounded memory).
    for (const [ip, bucket] of this.joinsPerIp) if (bucket.full()) this.joinsPerIp.delete(ip);
    for (const connection of this.connections) {
      try {
        if (!connection.alive) {
          this.log(`dropping unresponsive peer ${connection.peer ?? '(not joined)'}`);
          connection.socket.terminate(); // fires 'close', which starts the grace period
          continue;
        }
        connection.alive = false;
        connection.socket.ping();
        this.#refreshTurn(connection);
      } catch (error) {
        this.log(`heartbeat: ${error.message}`);
      }
    }
  }
}

/** Creates and starts a server; resolves once it listens (see `server.url`). */
export function startSignalServer(options) {
  return new SignalServer(options).start();
}

