// Rooms shared by several server processes through Redis (ioredis).
//
// Presence: one hash per room in Redis, with an expiry per member that the
// member's process keeps pushing forward (redis-scripts.js). Events: each
// process subscribes to the channels of the rooms it has members in
// (`joined`, `left`, `moved`), and to its own node channel, on which others
// publish signals for its members. Each process keeps a view of the rooms it
// serves (peer -> node) and reconciles it with Redis at every refresh, so a
// missed event heals within one refresh period.
//
// Signals to members on other processes are batched: every signal for one
// process in an event-loop turn goes out as one PUBLISH on that process's
// channel, and the sender does not wait for Redis (a failed publish is
// reported to its senders afterwards): one PUBLISH and one message event per
// turn instead of one per signal, and a sender's next frame does not wait a
// Redis round trip. The receiving process only splits the batch and hands
// each frame, as bytes, to its socket.
//
// Resume tokens live in the room hash, so a client whose process died gets
// its id back from any other process.
import { randomUUID } from 'node:crypto';
import { CloseCodes, ErrorCodes, ProtocolError } from './protocol.js';
import { newToken } from './tokens.js';
import { AWAY, JOIN, LEAVE, REFRESH } from './redis-scripts.js';

const defaults = {
  prefix: 'rtcmesh:',
  maxBatchBytes: 256 * 1024, // a batch this large is published at once, not at the end of the turn
};

function parseMembers(flat) {
  const members = new Map();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    try {
      members.set(flat[i], JSON.parse(flat[i + 1]));
    } catch {
      // a member written by something else: ignore it
    }
  }
  return members;
}

export class RedisHub {
  /** Connects to Redis; resolves once both connections are ready. */
  static async connect(url, limits, log, nodeId, options = {}) {
    const { default: Redis } = await import('ioredis');
    const settings = { maxRetriesPerRequest: 2, commandTimeout: 3000, enableAutoPipelining: true, lazyConnect: true };
    const redis = new Redis(url, settings);
    const sub = new Redis(url, { ...settings, enableAutoPipelining: false });
    for (const client of [redis, sub]) client.on('error', (error) => log(`redis: ${error.message}`));
    await Promise.all([redis.connect(), sub.connect()]);
    for (const [name, lua] of Object.entries({ rtcJoin: JOIN, rtcLeave: LEAVE, rtcAway: AWAY, rtcRefresh: REFRESH })) {
      redis.defineCommand(name, { numberOfKeys: 1, lua });
    }
    const hub = new RedisHub(redis, sub, limits, log, nodeId ?? randomUUID(), { ...defaults, ...options });
    await hub.start();
    return hub;
  }

  constructor(redis, sub, limits, log, nodeId, options) {
    this.redis = redis;
    this.sub = sub;
    this.limits = limits;
    this.log = log;
    this.nodeId = nodeId;
    this.options = options;
    this.local = new Map(); // room -> Map(peer -> Connection) on this process
    this.views = new Map(); // room -> Map(peer -> { node, at }), for rooms with local members
    this.departed = new Map(); // room -> Map(peer -> when its departure was seen)
    this.subscribing = new Map(); // room -> Promise of the subscription
    this.outgoing = new Map(); // node -> { text, bytes, senders: Set(Connection) }: signals not yet published
    this.flushing = null; // the setImmediate that publishes them
  }

  async start() {
    // Buffers: a batch of signals is split and its frames handed to the
    // sockets as bytes, never decoded to a string and encoded again.
    const own = Buffer.from(this.#nodeChannel(this.nodeId));
    this.sub.on('messageBuffer', (channel, message) => {
      try {
        if (own.equals(channel)) this.#deliver(message);
        else this.#onMessage(channel.toString(), message.toString());
      } catch (error) {
        this.log(`redis message on ${channel}: ${error.message}`);
      }
    });
    await this.sub.subscribe(this.#nodeChannel(this.nodeId));
    this.refreshTimer = setInterval(() => this.#refreshAll(), this.limits.presenceRefreshMs);
    this.refreshTimer.unref?.();
  }

  get roomCount() {
    return this.local.size;
  }

  /** Members of `room` as this process sees them (rooms it serves). */
  peersIn(room) {
    return [...(this.views.get(room)?.keys() ?? [])];
  }

  /** Members of `room` as Redis holds them, for monitoring and tests. */
  async membersOf(room) {
    const now = Date.now();
    const members = Object.entries(await this.redis.hgetall(this.#roomKey(room)));
    return members.filter(([, raw]) => JSON.parse(raw).exp >= now).map(([peer]) => peer).sort();
  }

  async join(conn, { room, peer, token }) {
    if (!this.local.has(room) && this.local.size >= this.limits.maxRooms) {
      throw new ProtocolError(ErrorCodes.TOO_MANY_ROOMS, `this server holds its maximum of ${this.limits.maxRooms} rooms`, { fatal: true, closeCode: CloseCodes.TRY_LATER });
    }
    const members = this.#localRoom(room); // claimed before any await, so the room stays subscribed
    members.pending = (members.pending ?? 0) + 1;
    try {
      await this.#subscribe(room);
      // Events from here on update the view; the snapshot below is merged in.
      const view = this.#view(room);
      const asked = Date.now();
      const [status, ownToken, flat] = await this.redis.rtcJoin(this.#roomKey(room), peer, token ?? '', newToken(), this.nodeId,
        Date.now(), this.limits.presenceTtlMs, this.limits.maxPeersPerRoom, this.#roomChannel(room), this.#keyTtl());
      if (status === 'taken') throw new ProtocolError(ErrorCodes.ID_TAKEN, `peer id "${peer}" is taken in room "${room}"`);
      if (status === 'full') throw new ProtocolError(ErrorCodes.ROOM_FULL, `room "${room}" is full (${this.limits.maxPeersPerRoom} peers)`, { fatal: true });
      const previous = members.get(peer);
      if (previous && previous !== conn) this.#replaced(previous);
      members.set(peer, conn);
      const now = Date.now();
      for (const [other, member] of parseMembers(flat)) {
        // Ourselves: the `joined` event tells this process's other members.
        const leftSince = (this.departed.get(room)?.get(other) ?? 0) >= asked;
        if (other !== peer && !view.has(other) && !leftSince) view.set(other, { node: member.node, at: now });
      }
      return { peers: [...view.keys()].filter((p) => p !== peer), token: ownToken, resumed: status === 'resumed' };
    } finally {
      members.pending--;
      this.#releaseRoom(room);
    }
  }

  async leave(conn) {
    const { room, peer } = conn;
    this.#flush(); // its last signals go before its departure
    if (!this.#forget(conn)) return;
    await this.redis.rtcLeave(this.#roomKey(room), peer, this.nodeId, this.#roomChannel(room));
  }

  async drop(conn) {
    const { room, peer } = conn;
    this.#flush();
    if (!this.#forget(conn)) return;
    await this.redis.rtcAway(this.#roomKey(room), peer, this.nodeId, Date.now(), this.limits.resumeGraceMs);
  }

  async forward(conn, to, text) {
    const { room } = conn;
    const target = this.local.get(room)?.get(to);
    if (target) {
      target.send(text);
      return;
    }
    let node = this.views.get(room)?.get(to)?.node;
    if (!node) {
      // The view may lag an event: ask Redis before calling the peer unknown.
      const raw = await this.redis.hget(this.#roomKey(room), to);
      const member = raw ? JSON.parse(raw) : null;
      if (!member || member.exp < Date.now()) throw new ProtocolError(ErrorCodes.UNKNOWN_PEER, `no peer "${to}" in room "${room}"`, { peer: to });
      node = member.node;
    }
    if (node === this.nodeId) throw new ProtocolError(ErrorCodes.PEER_AWAY, `peer "${to}" is reconnecting; try again`, { peer: to });
    this.#queue(node, conn, `${room}\n${to}\n${text}`);
  }

  async close() {
    clearInterval(this.refreshTimer);
    this.#flush();
    await Promise.allSettled([this.redis.quit(), this.sub.quit()]);
  }

  // A batch is entries of "room\nto\nframe\n": names cannot hold a newline,
  // and neither can a frame (JSON.stringify escapes them), so the receiver
  // splits on newlines without parsing JSON.
  #queue(node, sender, entry) {
    let batch = this.outgoing.get(node);
    if (!batch) {
      batch = { text: '', bytes: 0, senders: new Set() };
      this.outgoing.set(node, batch);
    }
    batch.text += `${entry}\n`;
    batch.bytes += entry.length + 1;
    batch.senders.add(sender);
    if (batch.bytes >= this.options.maxBatchBytes) this.#publish(node, batch);
    else this.flushing ??= setImmediate(() => this.#flush());
  }

  /** Publishes every pending batch now (also before presence changes, so they stay in order). */
  #flush() {
    clearImmediate(this.flushing);
    this.flushing = null;
    for (const [node, batch] of this.outgoing) this.#publish(node, batch);
  }

  #publish(node, batch) {
    this.outgoing.delete(node);
    this.redis.publish(this.#nodeChannel(node), batch.text).catch((error) => {
      this.log(`redis publish to ${node}: ${error.message}`);
      for (const sender of batch.senders) {
        try {
          sender.fail(ErrorCodes.INTERNAL, `signals could not be forwarded to another server (${error.message}); they were lost`);
        } catch {
          // the sender is gone
        }
      }
    });
  }

  #roomKey(room) {
    return `${this.options.prefix}room:${room}`;
  }

  #roomChannel(room) {
    return `${this.options.prefix}room:${room}`;
  }

  #nodeChannel(node) {
    return `${this.options.prefix}node:${node}`;
  }

  #keyTtl() {
    return Math.max(this.limits.presenceTtlMs, this.limits.resumeGraceMs) * 2;
  }

  #localRoom(room) {
    let members = this.local.get(room);
    if (!members) {
      members = new Map();
      this.local.set(room, members);
    }
    return members;
  }

  #view(room) {
    let view = this.views.get(room);
    if (!view) {
      view = new Map();
      this.views.set(room, view);
      this.departed.set(room, new Map());
    }
    return view;
  }

  #subscribe(room) {
    let subscribed = this.subscribing.get(room);
    if (!subscribed) {
      subscribed = this.sub.subscribe(this.#roomChannel(room)).then(() => undefined);
      this.subscribing.set(room, subscribed);
      subscribed.catch(() => this.subscribing.delete(room));
    }
    return subscribed;
  }

  /** Stops following a room once no member or join here needs it. */
  #releaseRoom(room) {
    const members = this.local.get(room);
    if (!members || members.size > 0 || members.pending > 0) return;
    this.local.delete(room);
    this.views.delete(room);
    this.departed.delete(room);
    this.subscribing.delete(room);
    this.sub.unsubscribe(this.#roomChannel(room)).catch((error) => this.log(`redis unsubscribe: ${error.message}`));
  }

  /** Removes a connection from the local map; true if it held its id here. */
  #forget(conn) {
    if (!conn.joined) return false;
    const members = this.local.get(conn.room);
    if (members?.get(conn.peer) !== conn) return false;
    members.delete(conn.peer);
    this.#releaseRoom(conn.room);
    return true;
  }

  #replaced(previous) {
    previous.room = null;
    previous.fail(ErrorCodes.REPLACED, 'this peer id was resumed on another connection', { fatal: true, closeCode: CloseCodes.REPLACED });
  }

  #announce(room, about, frame) {
    const text = JSON.stringify(frame);
    for (const [peer, conn] of this.local.get(room) ?? []) if (peer !== about) conn.send(text);
  }

  #onMessage(channel, message) {
    const event = JSON.parse(message);
    const room = channel.slice(`${this.options.prefix}room:`.length);
    const view = this.views.get(room);
    if (!view) return;
    const now = Date.now();
    if (event.t === 'joined') {
      const known = view.has(event.peer);
      view.set(event.peer, { node: event.node, at: now });
      this.departed.get(room)?.delete(event.peer);
      if (!known) this.#announce(room, event.peer, { type: 'peer-joined', peer: event.peer });
    } else if (event.t === 'moved') {
      view.set(event.peer, { node: event.node, at: now });
      const here = this.local.get(room)?.get(event.peer);
      if (here && event.node !== this.nodeId) {
        this.local.get(room).delete(event.peer);
        this.#replaced(here);
      }
    } else if (event.t === 'left') {
      this.departed.get(room)?.set(event.peer, now);
      if (view.delete(event.peer)) this.#announce(room, event.peer, { type: 'peer-left', peer: event.peer });
    }
  }

  /** Hands each frame of a batch (a Buffer, see #queue) to its member's socket, if it is here. */
  #deliver(batch) {
    const NEWLINE = 10;
    let at = 0;
    while (at < batch.length) {
      const first = batch.indexOf(NEWLINE, at);
      const second = first < 0 ? -1 : batch.indexOf(NEWLINE, first + 1);
      const end = second < 0 ? -1 : batch.indexOf(NEWLINE, second + 1);
      if (end < 0) return;
      // Names are ASCII (protocol.js); the frame stays bytes.
      const members = this.local.get(batch.latin1Slice(at, first));
      members?.get(batch.latin1Slice(first + 1, second))?.send(batch.subarray(second + 1, end));
      at = end + 1;
    }
  }

  async #refreshAll() {
    for (const [room, members] of this.local) {
      try {
        const started = Date.now();
        const flat = await this.redis.rtcRefresh(this.#roomKey(room), this.nodeId, Date.now(), this.limits.presenceTtlMs,
          this.#roomChannel(room), this.#keyTtl(), ...members.keys());
        this.#reconcile(room, parseMembers(flat), started);
      } catch (error) {
        this.log(`redis refresh of ${room}: ${error.message}`);
      }
    }
  }

  // Heals missed events. An entry changed after the refresh began is newer
  // than the snapshot, so it is left alone.
  #reconcile(room, members, started) {
    const view = this.views.get(room);
    const departed = this.departed.get(room) ?? new Map();
    if (!view) return;
    for (const [peer, entry] of [...view]) {
      if (!members.has(peer) && entry.at < started && !this.local.get(room)?.has(peer)) {
        view.delete(peer);
        this.#announce(room, peer, { type: 'peer-left', peer });
      }
    }
    for (const [peer, member] of members) {
      if (view.has(peer) || (departed.get(peer) ?? 0) >= started) continue;
      if (!this.local.get(room)?.has(peer)) this.#announce(room, peer, { type: 'peer-joined', peer });
      view.set(peer, { node: member.node, at: started });
    }
    for (const [peer, at] of departed) if (at < started) departed.delete(peer);
  }
}
