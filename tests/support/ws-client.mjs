// A WebSocket test client that records every frame, so tests can wait for the
// next frame of a type (with a time limit) and inspect all it ever received.
import WebSocket from 'ws';

export class RecordingClient {
  static async connect(url, options = {}) {
    const client = new RecordingClient(new WebSocket(url, options));
    await new Promise((resolve, reject) => {
      client.socket.once('open', resolve);
      client.socket.once('error', reject);
    });
    return client;
  }

  constructor(socket) {
    this.socket = socket;
    this.frames = [];
    this.consumed = new WeakSet(); // frames already handed out by next()
    this.waiters = [];
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      this.frames.push(frame);
      this.waiters = this.waiters.filter((waiter) => !waiter.offer(frame));
    });
  }

  send(frame) {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Resolves to the first frame (already received or future) that matches. */
  next(type, { timeoutMs = 5000, where = () => true } = {}) {
    const matches = (frame) => frame.type === type && where(frame);
    const seen = this.frames.find((frame) => matches(frame) && !this.consumed.has(frame));
    if (seen) {
      this.consumed.add(seen);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${type}" frame within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        offer: (frame) => {
          if (!matches(frame)) return false;
          this.consumed.add(frame);
          clearTimeout(timer);
          resolve(frame);
          return true;
        },
      });
    });
  }

  async join(room, peer) {
    this.send({ type: 'join', room, peer });
    return this.next('welcome');
  }

  /** Closes like a dropped network: the server holds the id for its grace period. */
  close() {
    this.socket.close();
    return this.closed;
  }

  /** Leaves for good: a leave frame and a close with the leave code. */
  leave() {
    this.send({ type: 'leave' });
    this.socket.close(4005, 'leave');
    return this.closed;
  }
}
