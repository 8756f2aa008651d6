// Signaling client: one WebSocket to an rtcmesh signaling server, for one room.
// Works in browsers (global WebSocket) and Node (pass `WebSocket` from `ws`).
//
// Events (CustomEvent, data in `detail`):
//   open        { peers }          joined (again); `peers` are the others present
//   peerjoined  { peer }           / peerleft { peer }
//   signal      { from, data }     an offer, answer or candidate for us
//   reconnecting{ attempt, delayMs } the socket dropped; trying again
//   error       { code, message }  the server refused something we sent
//   close       {}                 closed for good (close() or a fatal error)
//
// When the socket drops it reconnects with backoff and joins again, then
// reports only the peers that came or went meanwhile: peer links made
// through it are not touched, since they no longer need it.

const defaults = {
  reconnectMinMs: 250,
  reconnectMaxMs: 10000,
};

export class SignalClient extends EventTarget {
  /**
   * @param {string} url       ws:// or wss:// address of the server
   * @param {string} room
   * @param {string} peer      our id in the room
   * @param {object} [options] { WebSocket, reconnectMinMs, reconnectMaxMs }
   */
  constructor(url, room, peer, options = {}) {
    super();
    if (typeof url !== 'string' || !/^wss?:\/\//.test(url)) throw new TypeError(`SignalClient: url must be a ws:// or wss:// address, got ${String(url)}`);
    if (typeof room !== 'string' || !room) throw new TypeError('SignalClient: room must be a non-empty string');
    if (typeof peer !== 'string' || !peer) throw new TypeError('SignalClient: peer must be a non-empty string');
    this.url = url;
    this.room = room;
    this.peer = peer;
    this.options = { ...defaults, ...options };
    this.WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof this.WebSocket !== 'function') throw new TypeError('SignalClient: no WebSocket here; pass options.WebSocket (e.g. from the "ws" package)');
    this.peers = new Set();
    this.olderPeers = new Set(); // members that joined the room before us and are still in it
    this.attempt = 0;
    this.closed = false;
    this.#connect();
  }

  /** Resolves once joined (the first `open` event). */
  ready() {
    if (this.joined) return Promise.resolve([...this.peers]);
    return new Promise((resolve, reject) => {
      const onOpen = () => { cleanup(); resolve([...this.peers]); };
      const onClose = () => { cleanup(); reject(new Error(`SignalClient: closed before joining room "${this.room}"`)); };
      const cleanup = () => {
        this.removeEventListener('open', onOpen);
        this.removeEventListener('close', onClose);
      };
      this.addEventListener('open', onOpen);
      this.addEventListener('close', onClose);
    });
  }

  /** Sends `data` to one peer of the room. Returns false while disconnected. */
  signal(to, data) {
    return this.#send({ type: 'signal', to, data });
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.#send({ type: 'leave' });
    this.socket?.close();
    this.#emit('close', {});
  }

  #send(frame) {
    if (!this.joined || this.socket?.readyState !== 1) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #connect() {
    const socket = new this.WebSocket(this.url);
    this.socket = socket;
    this.joined = false;
    socket.onopen = () => socket.send(JSON.stringify({ type: 'join', room: this.room, peer: this.peer }));
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onclose = () => this.#dropped(socket);
    socket.onerror = () => {}; // a close event follows; reconnecting handles it
  }

  #receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      this.#badFrame('a frame that is not JSON');
      return;
    }
    switch (frame?.type) {
      case 'welcome':
        this.#welcome(Array.isArray(frame.peers) ? frame.peers.filter((p) => typeof p === 'string') : []);
        break;
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
      case 'error':
        this.#emit('error', { code: String(frame.code), message: String(frame.message) });
        if (frame.fatal) this.close();
        break;
      default:
        this.#badFrame(`an unexpected frame type: ${String(frame?.type).slice(0, 64)}`);
    }
    return undefined;
  }

  #badFrame(what) {
    this.#emit('error', { code: 'bad-server-frame', message: `the signaling server sent ${what}` });
  }

  // After a reconnect, only the difference from what we knew is news: peers
  // that stayed keep their links untouched.
  #welcome(present) {
    const before = this.peers;
    this.peers = new Set(present);
    // The server lists the members present in arrival order: these came
    // before us (after a reconnect we count as the newest).
    this.olderPeers = new Set(present);
    this.joined = true;
    this.attempt = 0;
    this.#emit('open', { peers: present });
    for (const peer of before) if (!this.peers.has(peer)) this.#emit('peerleft', { peer });
    for (const peer of present) if (!before.has(peer)) this.#emit('peerjoined', { peer });
  }

  #dropped(socket) {
    if (socket !== this.socket || this.closed) return;
    this.joined = false;
    const { reconnectMinMs, reconnectMaxMs } = this.options;
    const delayMs = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt++;
    this.#emit('reconnecting', { attempt: this.attempt, delayMs: Math.round(delayMs) });
    this.retryTimer = setTimeout(() => this.#connect(), delayMs);
  }
}
