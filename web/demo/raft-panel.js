// The demo's Raft view, in the spirit of RaftScope: every member's role,
// term, leader and commit index, and the replicated map, editable.
//
// Each tab runs Raft over the mesh with its state in IndexedDB (so a reload
// rejoins with its log), and broadcasts its own Raft state every second;
// the table shows what each member last said about itself.
import { Raft, ReplicatedMap, openIndexedDBStorage } from '/js/index.js';

const $ = (selector) => document.querySelector(selector);
const STATUS_EVERY_MS = 1000;
const STALE_AFTER_MS = 5000;

export class RaftPanel {
  #mesh;
  #raft = null;
  #map = null;
  #states = new Map(); // member -> { role, term, leader, commit, applied, at }
  #timer;
  #onMessage;
  #closed = false;

  constructor(mesh, room) {
    this.#mesh = mesh;
    this.#onMessage = (event) => this.#receive(event);
    mesh.addEventListener('message', this.#onMessage);
    this.ready = this.#start(room).catch((error) => {
      $('#kv-status').textContent = `Raft could not start: ${error.message}`;
    });
  }

  async #start(room) {
    const storage = await openIndexedDBStorage(`${room}:${this.#mesh.id}`);
    if (this.#closed) return storage.close();
    this.#raft = await Raft.open({ mesh: this.#mesh, storage, electionMinTimeout: 1000, electionMaxTimeout: 2000, heartbeatInterval: 200 });
    this.#map = new ReplicatedMap(this.#raft);
    this.#map.addEventListener('change', () => this.#drawMap());
    for (const type of ['leader', 'role', 'term', 'commit', 'join', 'leave']) this.#raft.addEventListener(type, () => this.#share());
    this.#timer = setInterval(() => this.#share(), STATUS_EVERY_MS);
    $('#kv-form').addEventListener('submit', this.#onSubmit);
    this.#share();
    return undefined;
  }

  close() {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#mesh.removeEventListener('message', this.#onMessage);
    $('#kv-form').removeEventListener('submit', this.#onSubmit);
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
      $('#kv-status').textContent = `${key} set on every member`;
      $('#kv-value').value = '';
    } catch (error) {
      $('#kv-status').textContent = error.message;
    }
  };

  #ownState() {
    const raft = this.#raft;
    return { role: raft.role, term: raft.term, leader: raft.leader, commit: raft.commitIndex, applied: raft.appliedIndex };
  }

  #share() {
    if (!this.#raft || this.#raft.closed || this.#mesh.closed) return;
    const state = this.#ownState();
    this.#states.set(this.#mesh.id, { ...state, at: Date.now() });
    this.#mesh.broadcast(JSON.stringify({ t: 'raft', ...state }));
    this.#drawMembers();
  }

  #receive(event) {
    if (typeof event.data !== 'string' || !event.data.startsWith('{"t":"raft"')) return;
    try {
      const { role, term, leader, commit, applied } = JSON.parse(event.data);
      this.#states.set(event.origin, { role, term, leader, commit, applied, at: Date.now() });
      this.#drawMembers();
    } catch {
      // not ours
    }
  }

  #drawMembers() {
    const now = Date.now();
    const rows = [...this.#states.entries()]
      .filter(([member, state]) => member === this.#mesh.id || now - state.at < STALE_AFTER_MS)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([member, state]) => {
        const row = document.createElement('tr');
        row.dataset.member = member;
        if (state.role === 'leader') row.className = 'leader';
        for (const value of [member, state.role, state.term, state.leader ?? '—', state.commit, state.applied]) {
          const cell = document.createElement('td');
          cell.textContent = String(value);
          row.append(cell);
        }
        return row;
      });
    $('#raft-members').replaceChildren(...rows);
    $('#leader').textContent = this.#raft?.leader ?? 'none yet';
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
