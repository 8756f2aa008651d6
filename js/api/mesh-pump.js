// The pump between a mesh's session core and the page: the one loop that
// drives the core in production, as the simulators drive it in tests.
//
// Each round exchanges the inbox (sends, frames, ticks) for the core's
// output in one crossing, runs its commands through the shim, then hands its
// events to the owner. What the channels buffered after the sends goes into
// the inbox; it crosses in a second round at once only while frames wait for
// channel room, else with the next exchange. A listener may call back into
// the mesh: a nested flush only marks another round, and a record applied
// from a listener (apply) crosses at once while its events wait their turn.
// The core says in every exchange when it must be ticked next; the pump
// sleeps until then instead of ticking a quiet mesh 40 times a second.
// Frames that arrive cross in their channel's message event in a browser,
// and after the event loop's turn in Node (framesArrived).
// Raft (js/api/raft.js) runs inside the same session and follows this pump
// through onFlushed().
import { BatchReader } from '../shim/mesh-batch.js';

const MAX_COMMAND_ROUNDS = 64; // a bound on rounds of sends within one flush

// In a browser each channel message is a task of its own, and its frame
// crosses in it: the message event follows with no task's hop between, a
// tenth of a small message's round trip. A page under load was no worse for
// it (bench/load.mjs, 8 tabs and 16 meshes in one page). In Node,
// @roamhq/wrtc hands over the frames of one turn of the event loop one after
// another: one exchange after them (setImmediate) takes them all.
const FRAMES_CROSS_AT_ONCE = typeof setImmediate !== 'function';

export class MeshPump {
  #module;
  #inbox;
  #names;
  #host = null;
  #readEvents; // (reader) => void: the owner dispatches one batch's events
  #alive; // () => boolean: the core is still there (a closing mesh still flushes its close)
  #open; // () => boolean: not closed: ticks and wake-ups stop at close()
  #timer = null;
  #wakeAt = Infinity; // when the scheduled tick runs
  #nextWakeup = 0; // the core's word, from its last exchange: tick by then
  #flushing = false;
  #flushAgain = false;
  #flushQueued = false; // a flush waits in a task of its own (framesArrived, Node)
  #laterEvents = []; // readers positioned on events of records applied from listeners
  #flushedListeners = new Set();

  /**
   * @param module the core's module (HEAPU8); @param inbox its HostInbox;
   * @param names the core's kind names; @param readEvents (reader) => void;
   * @param alive, open () => boolean
   */
  constructor({ module, inbox, names, readEvents, alive, open }) {
    this.#module = module;
    this.#inbox = inbox;
    this.#names = names;
    this.#readEvents = readEvents;
    this.#alive = alive;
    this.#open = open;
  }

  /** The shim that runs the core's commands (made after the pump: it reports into it). */
  set host(host) {
    this.#host = host;
  }

  /** `handler` runs after every flush; returns a function that removes it. */
  onFlushed(handler) {
    this.#flushedListeners.add(handler);
    return () => this.#flushedListeners.delete(handler);
  }

  tick() {
    if (!this.#open()) return;
    this.#inbox.tick(performance.now());
    this.flush();
  }

  stop() {
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  /**
   * `write` puts one record into the inbox; it is applied now. Returns its
   * status: null (ok) or { code, message }.
   */
  apply(write) {
    write();
    if (!this.#flushing) return this.flush();
    const reader = this.exchange(true);
    const sentOn = this.#host.runBatch(reader);
    reader.detach(); // its events wait for the running flush
    this.#reportBuffered(sentOn);
    this.#laterEvents.push(reader);
    if (sentOn !== null && reader.sendsWaiting) this.#flushAgain = true;
    return reader.status;
  }

  /**
   * Frames arrived: in a browser they cross now (a flush running takes them
   * in another round); in Node in a task of their own, after the callbacks
   * queued already, so that one exchange takes every frame of the turn and
   * the core's per-exchange work (its clock, its next wake-up) and the
   * crossing are paid once, not per frame.
   */
  framesArrived() {
    if (FRAMES_CROSS_AT_ONCE) {
      if (this.#alive()) this.flush();
      return;
    }
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    setImmediate(() => {
      this.#flushQueued = false;
      if (this.#alive() && !this.#inbox.empty) this.flush(); // a flush meanwhile took them
    });
  }

  /** Runs rounds until the core has nothing more; returns the first exchange's status. */
  flush() {
    if (this.#flushing) {
      this.#flushAgain = true;
      return null;
    }
    this.#flushing = true;
    let status = null;
    let first = true;
    try {
      do {
        this.#flushAgain = false;
        for (let round = 0; round < MAX_COMMAND_ROUNDS; round++) {
          const reader = this.exchange(true);
          if (first) [status, first] = [reader.status, false];
          const sentOn = this.#host.runBatch(reader);
          this.#readEvents(reader);
          // Read after the listeners ran: sends they made are counted too.
          this.#reportBuffered(sentOn);
          while (this.#laterEvents.length > 0 && this.#alive()) this.#readEvents(this.#laterEvents.shift());
          if (!this.#alive()) return status; // a listener closed the mesh
          if (sentOn === null || !reader.sendsWaiting) break;
        }
      } while (this.#flushAgain && this.#alive());
    } finally {
      this.#flushing = false;
    }
    this.#schedule();
    for (const listener of this.#flushedListeners) listener();
    return status;
  }

  /**
   * The one crossing (host-inbox.js): the inbox in, the output read in
   * place. Without `drain` the core applies the records but keeps its
   * commands and events for the next drained exchange.
   */
  exchange(drain) {
    const address = this.#inbox.exchange(drain);
    const reader = new BatchReader(this.#module.HEAPU8, address, this.#names()); // the heap as it is after the call
    if (drain) this.#nextWakeup = reader.nextWakeup;
    return reader;
  }

  // What the channels sent on buffer now goes into the inbox.
  #reportBuffered(sentOn) {
    if (sentOn === null) return;
    for (const channel of sentOn) this.#inbox.bufferedAmount(channel, this.#host.bufferedAmount(channel));
  }

  #schedule() {
    if (!this.#open()) return;
    const at = this.#nextWakeup;
    if (this.#timer !== null && at >= this.#wakeAt) return;
    clearTimeout(this.#timer);
    this.#wakeAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#wakeAt = Infinity;
      this.tick();
    }, Math.max(0, at - performance.now()));
  }
}
