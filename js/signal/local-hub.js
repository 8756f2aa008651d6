// Rooms in this process's memory: the default when no Redis is configured.
//
// A member whose socket drops stays in its room, "away", for the grace period:
// nobody is told it left, nobody else may take its id, and a join presenting
// its resume token takes it back. When the grace period ends it leaves.
import { CloseCodes, ErrorCodes, ProtocolError } from './protocol.js';
import { newToken, sameToken } from './tokens.js';

export class LocalHub {
  constructor(limits, log = () => {}) {
    this.limits = limits;
    this.log = log;
    this.rooms = new Map(); // room -> Map(peer -> { conn | null, token, timer })
  }

  get roomCount() {
    return this.rooms.size;
  }

  peersIn(room) {
    return [...(this.rooms.get(room)?.keys() ?? [])];
  }

  async join(conn, { room, peer, token }) {
    const members = this.rooms.get(room);
    const existing = members?.get(peer);
    if (existing) {
      if (!sameToken(token, existing.token)) {
        throw new ProtocolError(ErrorCodes.ID_TAKEN, `peer id "${peer}" is taken in room "${room}"`);
      }
      // Resumed: the id comes back, and the others keep their links to it.
      clearTimeout(existing.timer);
      const previous = existing.conn;
      existing.conn = conn;
      existing.timer = null;
      if (previous && previous !== conn) {
        previous.room = null; // it no longer speaks for this id
        previous.fail(ErrorCodes.REPLACED, `peer id "${peer}" was resumed on another connection`, { fatal: true, closeCode: CloseCodes.REPLACED });
      }
      return { peers: [...members.keys()].filter((p) => p !== peer), token: existing.token, resumed: true };
    }
    if (!members && this.rooms.size >= this.limits.maxRooms) {
      throw new ProtocolError(ErrorCodes.TOO_MANY_ROOMS, `the server holds its maximum of ${this.limits.maxRooms} rooms`, { fatal: true, closeCode: CloseCodes.TRY_LATER });
    }
    if (members && members.size >= this.limits.maxPeersPerRoom) {
      throw new ProtocolError(ErrorCodes.ROOM_FULL, `room "${room}" is full (${this.limits.maxPeersPerRoom} peers)`, { fatal: true });
    }
    const room$ = members ?? new Map();
    const others = [...room$.keys()];
    const member = { conn, token: newToken(), timer: null };
    room$.set(peer, member);
    this.rooms.set(room, room$);
    this.#announce(room$, peer, JSON.stringify({ type: 'peer-joined', peer }));
    return { peers: others, token: member.token, resumed: false };
  }

  /** Leaves at once (a `leave` frame or a clean close). */
  async leave(conn) {
    const member = this.#memberOf(conn);
    if (member) this.#remove(conn.room, conn.peer);
  }

  /** The socket dropped: hold the id for the grace period. */
  async drop(conn) {
    const member = this.#memberOf(conn);
    if (!member) return;
    const { room, peer } = conn;
    member.conn = null;
    member.timer = setTimeout(() => {
      try {
        if (this.rooms.get(room)?.get(peer) === member && !member.conn) this.#remove(room, peer);
      } catch (error) {
        this.log(`grace period of ${peer}: ${error.message}`);
      }
    }, this.limits.resumeGraceMs);
    member.timer.unref?.();
  }

  async forward(conn, to, text) {
    const target = this.rooms.get(conn.room)?.get(to);
    if (!target) throw new ProtocolError(ErrorCodes.UNKNOWN_PEER, `no peer "${to}" in room "${conn.room}"`, { peer: to });
    if (!target.conn) throw new ProtocolError(ErrorCodes.PEER_AWAY, `peer "${to}" is reconnecting; try again`, { peer: to });
    target.conn.send(text);
  }

  async close() {
    for (const members of this.rooms.values()) for (const member of members.values()) clearTimeout(member.timer);
    this.rooms.clear();
  }

  #memberOf(conn) {
    if (!conn.joined) return null;
    const member = this.rooms.get(conn.room)?.get(conn.peer);
    return member?.conn === conn ? member : null;
  }

  #remove(room, peer) {
    const members = this.rooms.get(room);
    if (!members) return;
    clearTimeout(members.get(peer)?.timer);
    members.delete(peer);
    if (members.size === 0) this.rooms.delete(room);
    this.#announce(members, peer, JSON.stringify({ type: 'peer-left', peer }));
  }

  #announce(members, about, text) {
    for (const [peer, member] of members) if (peer !== about) member.conn?.send(text);
  }
}
