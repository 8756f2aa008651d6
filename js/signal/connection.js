// One client socket on the signaling server: its bounded send queue, its
// metered inbox (token bucket, frames handled one at a time and in order),
// and how it is closed. Rooms and forwarding live in the hub.
//
// A server holds thousands of these, mostly idle, so each is kept small:
// everything a socket shares with the others (limits, counters, log, the
// frame handler) is one reference to its server's `shared` object, the token
// buckets are one number each (limits.js), the inbox exists only while
// frames wait, and no per-socket timer or closure is kept while idle.
import { CloseCodes, ErrorCodes } from './protocol.js';
import { bucket } from './limits.js';

const TERMINATE_AFTER_CLOSE_MS = 2000; // a peer that does not complete the close handshake
const SETTLED = Promise.resolve(); // `drained` when no frame is being handled

// Sockets written to in this event-loop turn, held corked until its end: the
// frames a socket gets in one turn (a signal from each of several peers, a
// batch from another server) leave in one write instead of one system call
// each, which was most of the server's CPU time under load.
const corked = [];
let uncorking = null;

function uncorkAll() {
  uncorking = null;
  for (const tcp of corked.splice(0)) tcp.uncork();
}

export class Connection {
  /**
   * @param socket  a `ws` WebSocket
   * @param ip      the remote address, for the per-IP count
   * @param shared  what every connection of a server shares:
   *   { limits, stats, log, handle(connection, text) } where `handle` is
   *   async, handles one frame and throws nothing; `stats` holds the
   *   server's counters (slowReaders, delayedFrames, refusedFrames)
   */
  constructor(socket, ip, shared) {
    this.shared = shared;
    this.socket = socket;
    this.ip = ip;
    this.room = null;
    this.peer = null;
    this.alive = true; // heartbeat
    this.closing = false;
    this.closeReason = undefined;
    this.joinDeadline = 0; // while unjoined: when the server's sweep closes it
    this.turnExpires = 0; // unix seconds at which the TURN credentials it holds expire
    this.messages = 0; // token bucket states (see limits.js `bucket`)
    this.joins = 0;
    this.relayBytes = 0; // the relay's byte bucket (servers started with `relay`)
    this.inbox = null; // frames waiting for a token or for the previous frame
    this.delayed = 0; // frames in the inbox waiting for a token
    this.delayedBytes = 0;
    this.refused = 0; // frames refused since the delayed ones last drained
    this.pumping = false;
    this.pumpTimer = null;
    this.drained = SETTLED; // settles when the frame being handled is done
  }

  get joined() {
    return this.room !== null;
  }

  get limits() {
    return this.shared.limits;
  }

  /** Takes a join token; false past the join rate. */
  takeJoin() {
    const { joinBurst, joinsPerMinute } = this.shared.limits;
    const next = bucket.take(this.joins, joinBurst, joinsPerMinute / 60);
    if (next < 0) return false;
    this.joins = next;
    return true;
  }

  /** Takes `bytes` from the relay's byte bucket; false past the relay rate (nothing taken). */
  takeRelayBytes(bytes) {
    const { relayBurstBytes, relayBytesPerSecond } = this.shared.limits;
    if (bucket.tokens(this.relayBytes, relayBurstBytes, relayBytesPerSecond) < bytes) return false;
    this.relayBytes = Math.max(this.relayBytes, Date.now()) + (bytes * 1000) / relayBytesPerSecond;
    return true;
  }

  #takeMessage() {
    const { messageBurst, messagesPerSecond } = this.shared.limits;
    const next = bucket.take(this.messages, messageBurst, messagesPerSecond);
    if (next < 0) return false;
    this.messages = next;
    return true;
  }

  /**
   * Queues a text frame for sending (a string, or its UTF-8 bytes as a
   * Buffer); drops the socket if its queue is over the bound.
   */
  send(text) {
    if (this.closing || this.socket.readyState !== this.socket.OPEN) return false;
    if (this.socket.bufferedAmount + text.length > this.shared.limits.maxSendQueueBytes) {
      this.shared.stats.slowReaders++;
      this.shared.log(`dropping slow reader ${this.peer ?? '(not joined)'}: ${this.socket.bufferedAmount} bytes queued`);
      this.close(CloseCodes.SLOW_READER, ErrorCodes.SLOW_READER);
      return false;
    }
    const tcp = this.socket._socket; // ws's net.Socket; ws corks it per frame too, and corks nest
    if (tcp && !tcp.writableCorked) {
      tcp.cork();
      corked.push(tcp);
      uncorking ??= setImmediate(uncorkAll);
    }
    if (typeof text === 'string') this.socket.send(text);
    else this.socket.send(text, { binary: false });
    return true;
  }

  sendFrame(frame) {
    return this.send(JSON.stringify(frame));
  }

  /** An error frame; a fatal one is followed by a close whose reason is the code. */
  fail(code, message, { fatal = false, closeCode = CloseCodes.POLICY, peer } = {}) {
    this.sendFrame(peer === undefined ? { type: 'error', code, message, fatal } : { type: 'error', code, message, fatal, peer });
    if (fatal) this.close(closeCode, code);
  }

  /** Closes with a code and reason; a peer that does not answer is cut off. */
  close(closeCode, reason) {
    if (this.closing) return;
    this.closing = true;
    this.closeReason = reason;
    this.inbox = null;
    this.delayed = 0;
    this.delayedBytes = 0;
    clearTimeout(this.pumpTimer);
    try {
      this.socket.close(closeCode, reason);
      // Out now, not at the end of the turn: a terminate() right after (the
      // server shutting down) would drop frames still corked.
      const tcp = this.socket._socket;
      if (tcp?.writableCorked) tcp.uncork();
    } catch {
      this.socket.terminate();
      return;
    }
    setTimeout(() => this.socket.terminate(), TERMINATE_AFTER_CLOSE_MS).unref?.();
  }

  /** A frame from the socket: handled now, delayed for a token, or refused. */
  receive(text) {
    if (this.closing) return;
    const { limits, stats } = this.shared;
    // Frames keep their order: once one waits for a token, later ones wait behind it.
    if (this.delayed === 0 && this.#takeMessage()) {
      (this.inbox ??= []).push({ text, paid: true });
    } else if (this.delayed < limits.maxDelayedMessages && this.delayedBytes + text.length <= limits.maxDelayedBytes) {
      (this.inbox ??= []).push({ text, paid: false });
      this.delayed++;
      stats.delayedFrames++;
      this.delayedBytes += text.length;
    } else {
      this.refused++;
      stats.refusedFrames++;
      if (this.refused > limits.maxRefusedMessages) {
        this.fail(ErrorCodes.RATE_LIMIT, `far over ${limits.messagesPerSecond} messages per second (burst ${limits.messageBurst}); closing`, { fatal: true, closeCode: CloseCodes.TRY_LATER });
      } else {
        this.fail(ErrorCodes.RATE_LIMIT, `over ${limits.messagesPerSecond} messages per second (burst ${limits.messageBurst}); frame refused`);
      }
      return;
    }
    this.#pump();
  }

  #pump() {
    if (this.pumping || this.closing) return;
    this.pumping = true;
    const run = this.#run();
    // Still running (it awaits a handler): later departures wait for it.
    if (this.pumping) this.drained = run;
  }

  async #run() {
    try {
      while (this.inbox?.length && !this.closing) {
        const next = this.inbox[0];
        if (!next.paid) {
          const waitMs = bucket.waitMs(this.messages, this.shared.limits.messageBurst, this.shared.limits.messagesPerSecond);
          if (waitMs > 0) {
            this.pumpTimer = setTimeout(() => this.#pump(), waitMs);
            return;
          }
          this.#takeMessage();
          this.delayed--;
          this.delayedBytes -= next.text.length;
        }
        this.inbox.shift();
        try {
          await this.shared.handle(this, next.text);
        } catch (error) {
          this.shared.log(`frame handler failed: ${error?.stack ?? error}`); // handle() catches; this is a last guard
        }
      }
      if (this.delayed === 0) this.refused = 0;
      if (this.inbox?.length === 0) this.inbox = null;
    } finally {
      this.pumping = false;
      this.drained = SETTLED;
    }
  }
}
