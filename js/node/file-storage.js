// Durable Raft state on disk, for Node members (the bot): the counterpart of
// indexeddb-storage.js. Term, vote, commit, log and snapshot survive a
// restart, and a crash in the middle of a write loses nothing that Raft was
// told is saved.
//
//   const storage = await openFileStorage('/var/lib/my-room');
//   const raft = await Raft.open({ mesh, storage });
//
// On disk: one folder per node, holding `journal` (append-only records, one
// per save, each checked by its SHA-256 and flushed with fdatasync before
// save() resolves) and `lock` (the owning process, so two nodes never share a
// folder). A record cut short by a crash is the journal's end: load() stops
// there and the next write goes after what was whole. When the journal holds
// much more than the live state, it is rewritten (to a temporary file, flushed,
// then renamed over it).
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const HEADER_BYTES = 8; // u32 length, then the first 4 bytes of the SHA-256 of the body
const REWRITE_FACTOR = 4; // rewrite when the journal is this many times the live state
const REWRITE_FLOOR = 1 << 20; // ... and at least this big

function storageError(message, cause) {
  return Object.assign(new Error(`openFileStorage: ${message}`), { code: 'storage', cause });
}

function digest(body) {
  return createHash('sha256').update(body).digest().subarray(0, 4);
}

// Byte fields travel as base64 inside the JSON body.
const toBase64 = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const fromBase64 = (text) => new Uint8Array(Buffer.from(text, 'base64'));

function record(change) {
  const body = Buffer.from(JSON.stringify({
    hardState: change.hardState,
    snapshot: change.snapshot && { ...change.snapshot, data: toBase64(change.snapshot.data) },
    entries: change.entries.map((entry) => ({ ...entry, data: toBase64(entry.data) })),
  }));
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(body.length, 0);
  digest(body).copy(header, 4);
  return Buffer.concat([header, body]);
}

function parseRecord(body) {
  const change = JSON.parse(body.toString('utf8'));
  if (change.snapshot) change.snapshot.data = fromBase64(change.snapshot.data);
  for (const entry of change.entries) entry.data = fromBase64(entry.data);
  return change;
}

/** The whole records of a journal, in order, and where the whole part ends. */
function readRecords(bytes) {
  const records = [];
  let at = 0;
  while (at + HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt32LE(at);
    const end = at + HEADER_BYTES + length;
    if (end > bytes.length) break;
    const body = bytes.subarray(at + HEADER_BYTES, end);
    if (!digest(body).equals(bytes.subarray(at + 4, at + HEADER_BYTES))) break;
    records.push(parseRecord(body));
    at = end;
  }
  return { records, wholeBytes: at };
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

async function takeLock(folder) {
  const path = join(folder, 'lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
      return path;
    } catch (error) {
      if (error.code !== 'EEXIST') throw storageError(`cannot lock ${folder}: ${error.message}`, error);
      const owner = Number(await readFile(path, 'utf8').catch(() => ''));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw Object.assign(new Error(`openFileStorage: ${folder} is in use by process ${owner}`), { code: 'storage_locked' });
      }
      await rm(path, { force: true }); // left by a process that is gone
    }
  }
  throw storageError(`cannot lock ${folder}`);
}

/**
 * Opens (creating if needed) the storage in `folder`.
 * @param {string} folder one per node: two nodes must never share it
 */
export async function openFileStorage(folder) {
  if (typeof folder !== 'string' || folder === '') {
    throw Object.assign(new TypeError('openFileStorage: folder must be a non-empty string'), { code: 'bad_argument' });
  }
  await mkdir(folder, { recursive: true });
  const lock = await takeLock(folder);
  try {
    const path = join(folder, 'journal');
    const bytes = await readFile(path).catch((error) => (error.code === 'ENOENT' ? Buffer.alloc(0) : Promise.reject(error)));
    const { records, wholeBytes } = readRecords(bytes);
    const file = await open(path, 'a+');
    // A torn last record: cut it off so the next record follows a whole one.
    if (wholeBytes < bytes.length) await file.truncate(wholeBytes);
    const storage = new FileStorage(folder, path, lock, file, wholeBytes);
    for (const entry of records) storage.replay(entry);
    return storage;
  } catch (error) {
    await rm(lock, { force: true });
    throw error.code ? error : storageError(`cannot read ${folder}: ${error.message}`, error);
  }
}

class FileStorage {
  #folder;
  #path;
  #lock;
  #file;
  #journalBytes;
  #hardState = null;
  #snapshot = null;
  #entries = []; // consecutive, after the snapshot
  #queue = Promise.resolve();
  #closed = false;

  constructor(folder, path, lock, file, journalBytes) {
    this.#folder = folder;
    this.#path = path;
    this.#lock = lock;
    this.#file = file;
    this.#journalBytes = journalBytes;
  }

  /** What a restarted node is built from: { hardState, snapshot, entries }. */
  async load() {
    await this.#queue;
    return { hardState: this.#hardState, snapshot: this.#snapshot, entries: [...this.#entries] };
  }

  /** Persists one Ready (snapshot, then entries overwriting from the first, then hard state), durably. */
  save(ready) {
    const change = { snapshot: ready.snapshot ?? null, entries: ready.entries ?? [], hardState: ready.hardState ?? null };
    return this.#write(change);
  }

  /** Keeps a snapshot made by compaction and drops the entries it covers. */
  saveSnapshot(snapshot) {
    return this.#write({ snapshot, entries: [], hardState: null });
  }

  close() {
    if (this.#closed) return this.#queue;
    this.#closed = true;
    this.#queue = this.#queue.catch(() => {}).then(async () => {
      await this.#file.close();
      await rm(this.#lock, { force: true });
    });
    return this.#queue;
  }

  /** Applies a record to the live state (at load, and for every write). */
  replay(change) {
    if (change.snapshot) {
      this.#snapshot = change.snapshot;
      this.#entries = this.#entries.filter((entry) => entry.index > change.snapshot.index);
    }
    if (change.entries.length > 0) {
      const first = change.entries[0].index;
      this.#entries = this.#entries.filter((entry) => entry.index < first).concat(change.entries);
    }
    if (change.hardState) this.#hardState = change.hardState;
  }

  #write(change) {
    if (this.#closed) return Promise.reject(storageError(`${this.#folder} is closed`));
    const bytes = record(change);
    const done = this.#queue.then(async () => {
      await this.#file.appendFile(bytes);
      await this.#file.datasync();
      this.#journalBytes += bytes.length;
      this.replay(change);
      await this.#maybeRewrite();
    });
    this.#queue = done.catch(() => {});
    return done;
  }

  // One record of the live state replaces the journal once it is mostly history.
  async #maybeRewrite() {
    if (this.#journalBytes < REWRITE_FLOOR) return;
    const live = record({ snapshot: this.#snapshot, entries: this.#entries, hardState: this.#hardState });
    if (this.#journalBytes < REWRITE_FACTOR * live.length) return;
    const temporary = `${this.#path}.new`;
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(live);
      await file.datasync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.#path);
    const folder = await open(this.#folder, 'r'); // the rename itself must survive a crash
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
    await this.#file.close();
    this.#file = await open(this.#path, 'a+');
    this.#journalBytes = live.length;
  }
}
