// Signaling client: one WebSocket to an rtcmesh signaling server, for one room.
// Works in browsers (global WebSocket) and Node (pass `WebSocket` from `ws`).
//
// Events (CustomEvent, data in `detail`):
//   open        { peers, resumed, iceServers } joined (again); `peers` are the others
//                                    present, `iceServers` what the welcome handed out
//                                    (TURN credentials; [] when none)
//   iceservers  { iceServers }       the server sent fresh TURN credentials
//   peerjoined  { peer }           / peerleft { peer }
//   signal      { from, data }       an offer, answer or candidate for us
//   relay       { from, bytes }      a mesh frame through the server's last-resort
//                                    path (Uint8Array; servers started with `relay`)
//   reconnecting{ attempt, delayMs, url, code } the socket dropped; trying again
//   error       { code, message, fatal, peer? } every error the server sends (`peer`: the
//                                    member a refused signal was for)
//   close       { code, message }    closed for good (close(), or an error that cannot heal)
//
// The welcome carries a resume token. When the socket drops, the client
// reconnects with backoff (to the next URL, if given several) and presents
// the token, so it gets its id back and nobody can take it meanwhile. It then
// reports only the peers that came or went: peer links made through it are
// not touched, since they no longer need it.
//
// A server started with `turn` puts fresh, time-limited TURN credentials in
// every welcome, and fresh ones before those are half spent; `iceServers`
// holds the latest. A server started with `relay` says so in its welcome
// (`relayLimits`): members no link reaches can then exchange mesh frames
// through it, with relay().
import { argumentError } from '../api/values.js';
import { CloseCodes, RETRYABLE_CODES } from './protocol.js';

const defaults = {
  reconnectMinMs: 250,
  reconnectMaxMs: 10000,
};

const NOT_A_SERVER = 'not-a-signaling-server';

// Mesh frames travel as base64 in the JSON text of the protocol, and so do
// sealed signals. Spreading bytes into String.fromCharCode costs about 20 ns
// a byte, and a sealed offer is kilobytes: where the host has a native
// encoder (Uint8Array.prototype.toBase64 in current browsers, Buffer in
// Node), that does it.
export function toBase64(bytes) {
  if (typeof bytes.toBase64 === 'function') return bytes.toBase64();
  if (typeof globalThis.Buffer === 'function') return globalThis.Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** The bytes of a base64 text, or null. */
export function fromBase64(data) {
  try {
    const text = atob(data);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}
const UNREACHABLE = 'unreachable';

/** The RTCIceServer entries of a welcome that have the shape one needs; null if any has not. */
function iceServersOf(value) {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 16) return null;
  const servers = [];
  for (const entry of value) {
    if (entry === null || typeof entry !== 'object') return null;
    const urls = typeof entry.urls === 'string' ? [entry.urls] : entry.urls;
    if (!Array.isArray(urls) || urls.length === 0 || !urls.every((url) => typeof url === 'string' && /^(turns?|stuns?):/.test(url))) return null;
    const server = { urls: [...urls] };
    for (const field of ['username', 'credential']) {
      if (entry[field] === undefined) continue;
      if (typeof entry[field] !== 'string') return null;
      server[field] = entry[field];
    }
    servers.push(server);
  }
  return servers;
}

function signalError(code, message) {
  return Object.assign(new Error(message), { code });
}

export class SignalClient extends EventTarget {
  /**
   * @param {string | string[]} url  ws:// or wss:// address of the server, or
   *                                 several servers sharing rooms (tried in turn)
   * @param {string} room
   * @param {string} peer      our id in the room
   * @param {object} [options] { WebSocket, reconnectMinMs, reconnectMaxMs, token }
   *   token: a resume token from an earlier welcome to this id (a restarted
   *   process that kept it takes its id back within the server's grace period)
   */
  constructor(url, room, peer, options = {}) {
    super();
    const urls = Array.isArray(url) ? [...url] : [url];
    if (urls.length === 0) throw argumentError('SignalClient: url must be a ws:// or wss:// address, got an empty list');
    for (const each of urls) {
      if (typeof each !== 'string' || !/^wss?:\/\//.test(each)) throw argumentError(`SignalClient: url must be a ws:// or wss:// address, got ${String(each)}`);
    }
    if (typeof room !== 'string' || !room) throw argumentError('SignalClient: room must be a non-empty string');
    if (typeof peer !== 'string' || !peer) throw argumentError('SignalClient: peer must be a non-empty string');
    this.urls = urls;
    this.urlIndex = 0;
    this.room = room;
    this.peer = peer;
    this.options = { ...defaults, ...options };
    this.WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof this.WebSocket !== 'function') throw argumentError('SignalClient: no WebSocket here; pass options.WebSocket (e.g. from the "ws" package)');
    this.peers = new Set();
    this.olderPeers = new Set(); // members that joined the room before us and are still in it
    this.token = typeof options.token === 'string' ? options.token : null;
    this.relayLimits = null; // { maxFrameBytes, bytesPerSecond } from a welcome of a server started with `relay`
    this.iceServers = []; // from the latest welcome
    this.attempt = 0;
    this.closed = false;
    this.joined = false;
    this.finalError = null; // why it closed for good
    this.lastFailure = null; // why the last attempt failed, { code, message }
    this.badUrls = new Set(); // URLs that answered as something else
    this.#connect();
  }

  /** The server URL in use (or being tried). */
  get url() {
    return this.urls[this.urlIndex];
  }

  /**
   * Resolves with the peers present once joined. Rejects with an Error whose
   * `code` says why when the client closes for good first, or when
   * `timeoutMs` passes (code: the last failure, or "unreachable").
   */
  ready({ timeoutMs = Infinity } = {}) {
    if (this.joined) return Promise.resolve([...this.peers]);
    if (this.closed) return Promise.reject(this.finalError ?? signalError('closed', 'SignalClient: closed'));
    return new Promise((resolve, reject) => {
      const onOpen = () => { cleanup(); resolve([...this.peers]); };
      const onClose = () => { cleanup(); reject(this.finalError ?? signalError('closed', `SignalClient: closed before joining room "${this.room}"`)); };
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => {
        cleanup();
        const failure = this.lastFailure ?? (this.opened
          ? { code: NOT_A_SERVER, message: `${this.url} accepted a WebSocket but sent no welcome` }
          : { code: UNREACHABLE, message: `could not reach ${this.url}` });
        reject(signalError(failure.code, `SignalClient: not joined within ${timeoutMs} ms: ${failure.message}`));
      }, timeoutMs) : null;
      const cleanup = () => {
        clearTimeout(timer);
        this.removeEventListener('open', onOpen);
        this.removeEventListener('close', onClose);
      };
      this.addEventListener('open', onOpen);
      this.addEventListener('close', onClose);
    });
  }

  /** Sends `data` to one peer of the room. Returns false while disconnected. */
  signal(to, data) {
    if (!this.joined || this.socket?.readyState !== 1) return false;
    this.socket.send(JSON.stringify({ type: 'signal', to, data }));
    return true;
  }

  /**
   * Sends a mesh frame to `to` through the server (the last-resort path).
   * False while disconnected, when the server does not relay, or when the
   * frame is over its size limit: the mesh resends what is not acknowledged.
   */
  relay(to, bytes) {
    if (!this.relayLimits || !this.joined || this.socket?.readyState !== 1 || bytes.length > this.relayLimits.maxFrameBytes) return false;
    this.socket.send(JSON.stringify({ type: 'relay', to, data: toBase64(bytes) }));
    return true;
  }

  /** Leaves the room at once (no grace period) and closes for good. */
  close() {
    this.#finish(null);
  }

  #finish(error) {
    if (this.closed) return;
    this.closed = true;
    this.joined = false;
    this.finalError = error;
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    try {
      if (socket?.readyState === 1) {
        socket.send(JSON.stringify({ type: 'leave' }));
        socket.close(CloseCodes.LEAVE, 'leave');
      } else if (socket?.readyState === 0) {
        socket.close();
      }
    } catch {
      // closing is best effort; the socket is abandoned either way
    }
    this.#emit('close', error ? { code: error.code, message: error.message } : {});
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #connect() {
    let socket;
    try {
      socket = new this.WebSocket(this.url);
    } catch (error) {
      this.lastFailure = { code: UNREACHABLE, message: `cannot open ${this.url}: ${error.message}` };
      this.retryTimer = setTimeout(() => this.#retry(), 0);
      return;
    }
    this.socket = socket;
    this.joined = false;
    this.opened = false;
    const attempt = { socket, serverError: null, transportError: null, opened: false, joined: false };
    socket.onopen = () => {
      this.opened = true;
      attempt.opened = true;
      const join = { type: 'join', room: this.room, peer: this.peer };
      if (this.token) join.token = this.token;
      socket.send(JSON.stringify(join));
    };
    socket.onmessage = (event) => this.#receive(attempt, event.data);
    socket.onerror = (event) => { attempt.transportError = String(event?.message ?? event?.error?.message ?? ''); };
    socket.onclose = (event) => this.#dropped(attempt, event);
  }

  #receive(attempt, text) {
    if (attempt.socket !== this.socket || this.closed) return;
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      frame = undefined;
    }
    if (!this.joined && frame?.type !== 'welcome' && frame?.type !== 'error') {
      // Before the welcome, anything else means this is not our kind of server.
      attempt.notServer = true;
      this.socket.close();
      return;
    }
    switch (frame?.type) {
      case 'welcome':
        attempt.joined = true;
        this.#welcome(frame);
        break;
      case 'ice-servers': {
        const iceServers = iceServersOf(frame.iceServers);
        if (iceServers === null) return this.#badFrame('ice-servers that are not RTCIceServer entries');
        this.iceServers = iceServers;
        this.#emit('iceservers', { iceServers });
        break;
      }
      case 'peer-joined':
        if (typeof frame.peer !== 'string') return this.#badFrame('peer-joined without a peer id');
        this.peers.add(frame.peer);
        this.#emit('peerjoined', { peer: frame.peer });
        break;
      case 'peer-left':
        this.olderPeers.delete(frame.peer);
        if (!this.peers.delete(frame.peer)) break;
        this.#emit('peerleft', { peer: frame.peer });
        break;
      case 'signal':
        if (typeof frame.from !== 'string') return this.#badFrame('signal without a sender');
        this.#emit('signal', { from: frame.from, data: frame.data });
        break;
      case 'relay': {
        const bytes = typeof frame.from === 'string' && typeof frame.data === 'string' ? fromBase64(frame.data) : null;
        if (!bytes) return this.#badFrame('a relay frame without a sender or base64 data');
        this.#emit('relay', { from: frame.from, bytes });
        break;
      }
      case 'error': {
        const error = { code: String(frame.code), message: String(frame.message), fatal: frame.fatal === true };
        if (typeof frame.peer === 'string') error.peer = frame.peer;
        this.#emit('error', error);
        // Before the welcome, any error answers our join: this attempt is over.
        if (error.fatal || !this.joined) {
          attempt.serverError = error;
          if (!this.joined && !this.closed) this.socket.close();
        }
        break;
      }
      default:
        this.#badFrame(`an unexpected frame type: ${String(frame?.type).slice(0, 64)}`);
    }
    return undefined;
  }

  #badFrame(what) {
    this.#emit('error', { code: 'bad-server-frame', message: `the signaling server sent ${what}`, fatal: false });
  }

  // After a reconnect, only the difference from what we knew is news: peers
  // that stayed keep their links untouched.
  #welcome(frame) {
    const present = Array.isArray(frame.peers) ? frame.peers.filter((p) => typeof p === 'string') : [];
    if (typeof frame.token === 'string') this.token = frame.token;
    const iceServers = iceServersOf(frame.iceServers);
    if (iceServers === null) this.#badFrame('a welcome whose iceServers are not RTCIceServer entries (ignored)');
    this.iceServers = iceServers ?? [];
    const relay = frame.relay;
    this.relayLimits = relay && Number.isSafeInteger(relay.maxFrameBytes) && relay.maxFrameBytes > 0
      ? { maxFrameBytes: relay.maxFrameBytes, bytesPerSecond: Number(relay.bytesPerSecond) || 0 } : null;
    const before = this.peers;
    this.peers = new Set(present);
    // The server lists the members present in arrival order: these came
    // before us (after a reconnect we count as the newest).
    this.olderPeers = new Set(present);
    this.joined = true;
    this.attempt = 0;
    this.lastFailure = null;
    this.#emit('open', { peers: present, resumed: frame.resumed === true, iceServers: this.iceServers });
    for (const peer of before) if (!this.peers.has(peer)) this.#emit('peerleft', { peer });
    for (const peer of present) if (!before.has(peer)) this.#emit('peerjoined', { peer });
  }

  /** Why an attempt ended, as { code, message, final }. */
  #failureOf(attempt, event) {
    const url = this.url;
    if (attempt.serverError) {
      const { code, message } = attempt.serverError;
      return { code, message, final: !RETRYABLE_CODES.has(code) };
    }
    const reason = typeof event?.reason === 'string' ? event.reason : '';
    if (reason && event.code >= 1008 && event.code !== CloseCodes.LEAVE) {
      return { code: reason, message: `${url} closed the connection: ${reason}`, final: !RETRYABLE_CODES.has(reason) };
    }
    if (attempt.notServer || (attempt.opened && !attempt.joined && !reason)) {
      return { code: NOT_A_SERVER, message: `${url} is a WebSocket server that does not speak the rtcmesh signaling protocol`, notServer: true };
    }
    if (/unexpected server response/i.test(attempt.transportError)) {
      return { code: NOT_A_SERVER, message: `${url} answered with HTTP, not a WebSocket (${attempt.transportError})`, notServer: true };
    }
    const detail = attempt.transportError ? ` (${attempt.transportError})` : '';
    return { code: UNREACHABLE, message: `could not reach ${url}${detail}`, final: false };
  }

  #dropped(attempt, event) {
    if (attempt.socket !== this.socket || this.closed) return;
    const wasJoined = this.joined;
    this.joined = false;
    const failure = this.#failureOf(attempt, event);
    if (failure.notServer && !wasJoined) {
      this.badUrls.add(this.url);
      failure.final = this.badUrls.size >= this.urls.length;
    }
    this.lastFailure = failure;
    if (failure.final) {
      this.#finish(signalError(failure.code, `SignalClient: ${failure.message}`));
      return;
    }
    this.#retry(failure.code);
  }

  #retry(code = this.lastFailure?.code) {
    if (this.closed) return;
    // Next URL (skipping those that are not signaling servers), with backoff.
    for (let i = 1; i <= this.urls.length; i++) {
      const next = (this.urlIndex + i) % this.urls.length;
      if (!this.badUrls.has(this.urls[next])) {
        this.urlIndex = next;
        break;
      }
    }
    const { reconnectMinMs, reconnectMaxMs } = this.options;
    const delayMs = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt++;
    this.#emit('reconnecting', { attempt: this.attempt, delayMs: Math.round(delayMs), url: this.url, code });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.#connect(), delayMs);
  }
}
