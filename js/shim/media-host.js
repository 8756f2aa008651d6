// The media half of the shim. The core decides which track goes on which
// connection and when to renegotiate (src/core/mesh/media_tracks.hpp); this
// holds the MediaStreamTracks by the core's number, runs its add_track and
// remove_track commands, and reports the tracks each connection receives:
// `track` when one arrives, `trackended` once when it goes (the peer removed
// it, or the connection closed).

export class MediaHost {
  #tracks = new Map(); // number -> { track, streams }
  #senders = new Map(); // pc handle -> Map(number -> RTCRtpSender)
  #remote = new Map(); // pc handle -> Map(MediaStreamTrack -> { peer, streams })
  #onTrack;
  #onTrackEnded;

  /** `track({ peer, track, streams })`, `trackEnded({ peer, track })`: the owner's events. */
  constructor({ track = () => {}, trackEnded = () => {} } = {}) {
    this.#onTrack = track;
    this.#onTrackEnded = trackEnded;
  }

  setTrack(number, track, streams) {
    this.#tracks.set(number, { track, streams });
  }

  deleteTrack(number) {
    this.#tracks.delete(number);
  }

  /** The core's add_track: the track goes on `pc` with its streams. */
  add(pc, pcHandle, number) {
    const entry = this.#tracks.get(number);
    if (!entry) return;
    const sender = pc.addTrack(entry.track, ...entry.streams);
    if (!this.#senders.has(pcHandle)) this.#senders.set(pcHandle, new Map());
    this.#senders.get(pcHandle).set(number, sender);
  }

  /** The core's remove_track. */
  remove(pc, pcHandle, number) {
    const sender = this.#senders.get(pcHandle)?.get(number);
    if (!sender) return;
    this.#senders.get(pcHandle).delete(number);
    pc.removeTrack(sender);
  }

  /** Reports what `pc` (to `peer`) receives. */
  watch(pc, pcHandle, peer) {
    pc.ontrack = ({ track, streams }) => {
      let received = this.#remote.get(pcHandle);
      if (!received) this.#remote.set(pcHandle, (received = new Map()));
      if (received.has(track)) return; // a renegotiation fires it again
      received.set(track, { peer, streams: [...streams] });
      const ended = () => this.#ended(pcHandle, track);
      track.addEventListener('ended', ended, { once: true });
      for (const stream of streams) {
        stream.addEventListener('removetrack', (event) => {
          if (event.track === track) ended();
        });
      }
      this.#onTrack({ peer, track, streams: [...streams] });
    };
  }

  /**
   * After a description was applied: a received track whose transceiver no
   * longer receives (the peer removed it) has ended.
   */
  check(pc, pcHandle) {
    const received = this.#remote.get(pcHandle);
    // currentDirection is the last completed exchange's: in the middle of one
    // (a track just arrived with an offer) it still says what was before.
    if (!received || pc.signalingState !== 'stable') return;
    const transceivers = pc.getTransceivers?.() ?? [];
    for (const track of [...received.keys()]) {
      const transceiver = transceivers.find((t) => t.receiver.track === track);
      const direction = transceiver?.currentDirection;
      if (!transceiver || transceiver.stopped || direction === 'inactive' || direction === 'sendonly') this.#ended(pcHandle, track);
    }
  }

  /** The tracks received now, as `track` events gave them, oldest first per connection. */
  received() {
    const list = [];
    for (const tracks of this.#remote.values()) {
      for (const [track, { peer, streams }] of tracks) list.push({ peer, track, streams: [...streams] });
    }
    return list;
  }

  /** `pc` is closed: what it received has ended, what it sent is gone with it. */
  closed(pcHandle) {
    for (const track of [...(this.#remote.get(pcHandle)?.keys() ?? [])]) this.#ended(pcHandle, track);
    this.#remote.delete(pcHandle);
    this.#senders.delete(pcHandle);
  }

  #ended(pcHandle, track) {
    const received = this.#remote.get(pcHandle);
    const entry = received?.get(track);
    if (entry === undefined) return;
    received.delete(track);
    this.#onTrackEnded({ peer: entry.peer, track });
  }
}
