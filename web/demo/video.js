// The demo's camera and microphone: a toggle that sends this tab's camera
// and microphone to every member (RTCMesh.addTrack), and a tile per member
// whose tracks arrive (`track` / `trackended`), labelled with the name in its
// metadata. A member reached only through a relay gets no media; its tile
// says so.

const label = (mesh, peer) => mesh.metadata(peer)?.name ?? peer;

export class VideoTiles {
  #mesh;
  #container;
  #tiles = new Map(); // peer ('' = this tab) -> { tile, stream, video, note }
  #sending = null; // { stream, handles } while the camera is on
  #listeners = [];

  constructor(mesh, container) {
    this.#mesh = mesh;
    this.#container = container;
    const on = (type, handler) => {
      mesh.addEventListener(type, handler);
      this.#listeners.push([type, handler]);
    };
    on('track', ({ detail: { peer, track } }) => {
      const { stream } = this.#tile(peer);
      stream.addTrack(track);
      this.#note(peer, '');
    });
    on('trackended', ({ detail: { peer, track } }) => {
      const entry = this.#tiles.get(peer);
      if (!entry) return;
      entry.stream.removeTrack(track);
      if (entry.stream.getTracks().length === 0) this.#drop(peer);
    });
    on('metadata', ({ detail: { peer } }) => {
      const entry = this.#tiles.get(peer);
      if (entry) entry.name.textContent = label(mesh, peer);
    });
    on('mediarelayed', ({ detail: { peer } }) => this.#note(peer, 'reached through a relay: no media'));
    on('relay', ({ detail: { peer, via, server } }) => {
      if (!via && !server) this.#note(peer, '');
    });
    on('peerremoved', ({ detail: { peer } }) => this.#drop(peer));
  }

  get sending() {
    return this.#sending !== null;
  }

  /** Camera and microphone on (sent to everyone) or off. */
  async toggle() {
    if (this.#sending) {
      for (const handle of this.#sending.handles) this.#mesh.removeTrack(handle);
      for (const track of this.#sending.stream.getTracks()) track.stop();
      this.#sending = null;
      this.#drop('');
      return false;
    }
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
    this.#sending = { stream, handles: stream.getTracks().map((track) => this.#mesh.addTrack(track, stream)) };
    const own = this.#tile('');
    for (const track of stream.getVideoTracks()) own.stream.addTrack(track);
    return true;
  }

  close() {
    for (const [type, handler] of this.#listeners) this.#mesh.removeEventListener(type, handler);
    for (const track of this.#sending?.stream.getTracks() ?? []) track.stop();
    this.#sending = null;
    for (const peer of [...this.#tiles.keys()]) this.#drop(peer);
  }

  #tile(peer) {
    let entry = this.#tiles.get(peer);
    if (entry) return entry;
    const tile = document.createElement('figure');
    tile.className = 'tile';
    tile.dataset.peer = peer;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = peer === ''; // no echo of our own microphone
    const stream = new MediaStream();
    video.srcObject = stream;
    const caption = document.createElement('figcaption');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = peer === '' ? 'you' : label(this.#mesh, peer);
    const note = document.createElement('small');
    caption.append(name, ' ', note);
    tile.append(video, caption);
    this.#container.append(tile);
    entry = { tile, stream, video, name, note };
    this.#tiles.set(peer, entry);
    return entry;
  }

  #note(peer, text) {
    const entry = this.#tiles.get(peer);
    if (entry) entry.note.textContent = text;
  }

  #drop(peer) {
    const entry = this.#tiles.get(peer);
    if (!entry) return;
    entry.video.srcObject = null;
    entry.tile.remove();
    this.#tiles.delete(peer);
  }
}
