// The demo's Raft view, in the spirit of RaftScope: every member's role,
// voter or learner, term, vote, log length, commit and applied index, and
// how long ago it last heard its leader; plus the replicated map, editable.
//
// Each tab runs Raft over the mesh with its state in IndexedDB (so a reload
// rejoins with its log), and broadcasts its own Raft state every second;
// the table shows what each member last said about itself.
import { Raft, ReplicatedMap, openIndexedDBStorage } from '/js/index.js';
import { drawRaftTable, shortId } from './raft-table.js';

const $ = (selector) => document.querySelector(selector);
const STATUS_EVERY_MS = 1000;
const REDRAW_EVERY_MS = 250; // greying and "heard leader" move without new reports

// Raft has no getters for its vote and log length, but it hands both to its
// storage: the hard state (term, vote) and the entries it appends.
function observedStorage(storage, seen) {
  const note = ({ hardState, entries, snapshot }) => {
    if (hardState) seen.vote = hardState.vote || null;
    if (snapshot) seen.log = Math.max(seen.log, snapshot.index);
    if (entries?.length) seen.log = entries[entries.length - 1].index; // appending at i drops what followed i
  };
  return {
    load: async () => {
      const restored = await storage.load();
      note(restored);
      return restored;
    },
    save: (ready) => {
      note(ready);
      return storage.save(ready);
    },
    saveSnapshot: (snapshot) => storage.saveSnapshot(snapshot),
    close: () => storage.close(),
  };
}

export class RaftPanel {
  #mesh;
  #raft = null;
  #map = null;
  #states = new Map(); // member -> reported state, with `at` (when it arrived)
  #seen = { vote: null, log: 0 };
  #leftRoom = new Set(); // members the signaling server says left, links maybe not yet down
  #timers = [];
  #listeners = [];
  #closed = false;

  constructor(mesh, room) {
    this.#mesh = mesh;
    this.#listen(mesh, 'message', (event) => this.#receive(event));
    // A member that leaves the mesh leaves the table at once.
    this.#listen(mesh, 'peerremoved', ({ detail }) => this.#forget(detail.peer));
    this.#listen(mesh, 'removechannel', () => this.#draw());
    // A crashed tab's WebSocket closes at once, its WebRTC links only after
    // ICE gives up (seconds): the server's word greys its row meanwhile.
    if (mesh.signaling) {
      this.#listen(mesh.signaling, 'peerleft', ({ detail }) => { this.#leftRoom.add(detail.peer); this.#draw(); });
      this.#listen(mesh.signaling, 'peerjoined', ({ detail }) => { this.#leftRoom.delete(detail.peer); this.#draw(); });
    }
    this.ready = this.#start(room).catch((error) => {
      $('#kv-status').textContent = `Raft could not start: ${error.message}`;
    });
  }

  #listen(target, type, handler) {
    target.addEventListener(type, handler);
    this.#listeners.push(() => target.removeEventListener(type, handler));
  }

  async #start(room) {
    const storage = observedStorage(await openIndexedDBStorage(`${room}:${this.#mesh.id}`), this.#seen);
    if (this.#closed) return storage.close();
    // The library's default timeouts (1.5-3 s): hidden tabs run timers once a
    // second, and shorter ones made background tabs call elections.
    const raft = await Raft.open({ mesh: this.#mesh, storage });
    this.#raft = raft;
    this.#map = new ReplicatedMap(raft);
    this.#map.addEventListener('change', () => this.#drawMap());
    for (const type of ['leader', 'role', 'term', 'commit', 'join', 'leave']) this.#listen(raft, type, () => this.#share());
    this.#timers.push(setInterval(() => this.#share(), STATUS_EVERY_MS), setInterval(() => this.#draw(), REDRAW_EVERY_MS));
    this.#listen($('#kv-form'), 'submit', this.#onSubmit);
    this.#share();
    return undefined;
  }

  /** The leader to show: null unless it is this tab or a member with a working link. */
  get liveLeader() {
    const leader = this.#raft?.leader ?? null;
    return leader && this.#isLive(leader) ? leader : null;
  }

  close() {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    for (const unlisten of this.#listeners) unlisten();
    this.#map?.close();
    this.#raft?.close();
    this.#states.clear();
    $('#raft-members').replaceChildren();
    $('#kv-entries').replaceChildren();
    $('#leader').textContent = 'none yet';
  }

  #onSubmit = async (event) => {
    event.preventDefault();
    const key = $('#kv-key').value.trim();
    const value = $('#kv-value').value;
    if (!key || !this.#map) return;
    $('#kv-status').textContent = `setting ${key}…`;
    try {
      await this.#map.set(key, value);
      $('#kv-status').textContent = `${key} committed`;
      $('#kv-value').value = '';
    } catch (error) {
      $('#kv-status').textContent = error.message;
    }
  };

  #ownState() {
    const raft = this.#raft;
    const { voters, learners } = raft.members;
    const voter = voters.includes(raft.address) ? true : learners.includes(raft.address) ? false : null;
    const heardAgo = raft.sinceLeaderContact; // heartbeats included, from the core
    return {
      role: raft.role, voter, term: raft.term, vote: this.#seen.vote, log: this.#seen.log,
      commit: raft.commitIndex, applied: raft.appliedIndex, leader: raft.leader, heardAgo,
      electionIn: raft.electionDueIn,
    };
  }

  #share() {
    if (!this.#raft || this.#raft.closed || this.#mesh.closed) return;
    const state = this.#ownState();
    this.#states.set(this.#mesh.id, { ...state, at: Date.now() });
    this.#mesh.broadcast(JSON.stringify({ t: 'raft', ...state }));
    this.#draw();
  }

  #receive(event) {
    if (typeof event.data !== 'string' || !event.data.startsWith('{"t":"raft"')) return;
    if (!this.#mesh.peers.includes(event.origin)) return; // a late report from a member already gone
    try {
      const { t, ...state } = JSON.parse(event.data);
      this.#states.set(event.origin, { ...state, at: Date.now() });
      this.#draw();
    } catch {
      // not ours
    }
  }

  #forget(member) {
    this.#states.delete(member);
    this.#draw();
  }

  #isLive(member) {
    const mesh = this.#mesh;
    if (member === mesh.id) return true;
    if (mesh.closed || !mesh.peers.includes(member) || this.#leftRoom.has(member)) return false;
    return mesh.readyState(member) === 'open' || mesh.relayed(member);
  }

  #draw() {
    if (this.#closed || this.#mesh.closed) return;
    // This tab's own row is read live, so its election countdown runs smoothly.
    if (this.#raft && !this.#raft.closed) this.#states.set(this.#mesh.id, { ...this.#ownState(), at: Date.now() });
    drawRaftTable($('#raft-members'), this.#states, this.#mesh.id, (member) => this.#isLive(member));
    const leader = this.#raft?.leader ?? null;
    const shown = this.liveLeader;
    $('#leader').textContent = shown ? shortId(shown, 40) : leader ? `none (${shortId(leader)} is gone)` : 'none yet';
    $('#leader').title = shown ?? '';
  }

  #drawMap() {
    const rows = [...this.#map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => {
      const row = document.createElement('tr');
      row.dataset.key = key;
      const keyCell = document.createElement('td');
      keyCell.textContent = key;
      const valueCell = document.createElement('td');
      valueCell.textContent = typeof value === 'string' ? value : JSON.stringify(value);
      const actions = document.createElement('td');
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = 'delete';
      remove.addEventListener('click', () => this.#map.delete(key).catch((error) => { $('#kv-status').textContent = error.message; }));
      actions.append(remove);
      row.append(keyCell, valueCell, actions);
      return row;
    });
    $('#kv-entries').replaceChildren(...rows);
  }
}
