// One client socket on the signaling server: its bounded send queue, its
// metered inbox (token bucket, frames handled one at a time and in order),
// and how it is closed. Rooms and forwarding live in the hub.
import { CloseCodes, ErrorCodes } from './protocol.js';
import { TokenBucket } from './limits.js';

const TERMINATE_AFTER_CLOSE_MS = 2000; // a peer that does not complete the close handshake

export class Connection {
  /**
   * @param socket  a `ws` WebSocket
   * @param ip      the remote address, for the per-IP count
   * @param limits  resolved limits
   * @param handle  async (connection, text) => void; handles one frame, throws nothing
   * @param log
   * @param stats   the server's counters (slowReaders, delayedFrames, refusedFrames)
   */
  constructor(socket, ip, limits, handle, log, stats = {}) {
    this.stats = stats;
    this.socket = socket;
    this.ip = ip;
    this.limits = limits;
    this.handle = handle;
    this.log = log;
    this.room = null;
    this.peer = null;
    this.alive = true; // heartbeat
    this.closing = false;
    this.messages = new TokenBucket(limits.messageBurst, limits.messagesPerSecond);
    this.joins = new TokenBucket(limits.joinBurst, limits.joinsPerMinute / 60);
    this.inbox = []; // frames waiting for a token or for the previous frame
    this.delayed = 0; // frames in the inbox waiting for a token
    this.delayedBytes = 0;
    this.refused = 0; // frames refused since the delayed ones last drained
    this.pumping = false;
    this.pumpTimer = null;
    this.drained = Promise.resolve(); // settles when the frame being handled is done
  }

  get joined() {
    return this.room !== null;
  }

  /** Queues `text` for sending; drops the socket if its queue is over the bound. */
  send(text) {
    if (this.closing || this.socket.readyState !== this.socket.OPEN) return false;
    if (this.socket.bufferedAmount + text.length > this.limits.maxSendQueueBytes) {
      this.stats.slowReaders = (this.stats.slowReaders ?? 0) + 1;
      this.log(`dropping slow reader ${this.peer ?? '(not joined)'}: ${this.socket.bufferedAmount} bytes queued`);
      this.close(CloseCodes.SLOW_READER, ErrorCodes.SLOW_READER);
      return false;
    }
    this.socket.send(text);
    return true;
  }

  sendFrame(frame) {
    return this.send(JSON.stringify(frame));
  }

  /** An error frame; a fatal one is followed by a close whose reason is the code. */
  fail(code, message, { fatal = false, closeCode = CloseCodes.POLICY } = {}) {
    this.sendFrame({ type: 'error', code, message, fatal });
    if (fatal) this.close(closeCode, code);
  }

  /** Closes with a code and reason; a peer that does not answer is cut off. */
  close(closeCode, reason) {
    if (this.closing) return;
    this.closing = true;
    this.closeReason = reason;
    this.inbox.length = 0;
    this.delayed = 0;
    this.delayedBytes = 0;
    clearTimeout(this.pumpTimer);
    try {
      this.socket.close(closeCode, reason);
    } catch {
      this.socket.terminate();
      return;
    }
    setTimeout(() => this.socket.terminate(), TERMINATE_AFTER_CLOSE_MS).unref?.();
  }

  /** A frame from the socket: handled now, delayed for a token, or refused. */
  receive(text) {
    if (this.closing) return;
    // Frames keep their order: once one waits for a token, later ones wait behind it.
    if (this.delayed === 0 && this.messages.take()) {
      this.inbox.push({ text, paid: true });
    } else if (this.delayed < this.limits.maxDelayedMessages && this.delayedBytes + text.length <= this.limits.maxDelayedBytes) {
      this.inbox.push({ text, paid: false });
      this.delayed++;
      this.stats.delayedFrames = (this.stats.delayedFrames ?? 0) + 1;
      this.delayedBytes += text.length;
    } else {
      this.refused++;
      this.stats.refusedFrames = (this.stats.refusedFrames ?? 0) + 1;
      if (this.refused > this.limits.maxRefusedMessages) {
        this.fail(ErrorCodes.RATE_LIMIT, `far over ${this.limits.messagesPerSecond} messages per second (burst ${this.limits.messageBurst}); closing`, { fatal: true, closeCode: CloseCodes.TRY_LATER });
      } else {
        this.fail(ErrorCodes.RATE_LIMIT, `over ${this.limits.messagesPerSecond} messages per second (burst ${this.limits.messageBurst}); frame refused`);
      }
      return;
    }
    this.#pump();
  }

  #pump() {
    if (this.pumping || this.closing) return;
    this.pumping = true;
    this.drained = (async () => {
      try {
        while (this.inbox.length && !this.closing) {
          const next = this.inbox[0];
          if (!next.paid) {
            const waitMs = this.messages.waitMs();
            if (waitMs > 0) {
              this.pumpTimer = setTimeout(() => this.#pump(), waitMs);
              return;
            }
            this.messages.take();
            this.delayed--;
            this.delayedBytes -= next.text.length;
          }
          this.inbox.shift();
          try {
            await this.handle(this, next.text);
          } catch (error) {
            this.log(`frame handler failed: ${error?.stack ?? error}`); // handle() catches; this is a last guard
          }
        }
        if (this.delayed === 0) this.refused = 0;
      } finally {
        this.pumping = false;
      }
    })();
  }
}
