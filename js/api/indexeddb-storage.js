// Durable Raft state in the browser: term, vote, commit, log and snapshot in
// IndexedDB, so a reloaded tab rejoins with what it had.
//
//   const storage = await openIndexedDBStorage('my-app:' + id);
//   const raft = await Raft.open({ mesh, storage });
//
// Raft calls save(ready) and waits for it before sending anything of that
// Ready: one transaction per Ready, committed before its promise resolves.
import { argumentError } from './values.js';

const DB_VERSION = 1;
const META = 'meta';
const ENTRIES = 'entries';

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function completion(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/**
 * Opens (creating if needed) the store named `name`.
 * @param {string} name one per node: two nodes must never share it
 * @param {IDBFactory} [indexedDB] defaults to the page's
 */
export async function openIndexedDBStorage(name, indexedDB = globalThis.indexedDB) {
  if (typeof name !== 'string' || name === '') throw argumentError('openIndexedDBStorage: name must be a non-empty string');
  if (!indexedDB) throw Object.assign(new Error('openIndexedDBStorage: IndexedDB is not available here'), { code: 'unsupported' });
  const open = indexedDB.open(`rtcmesh-raft:${name}`, DB_VERSION);
  open.onupgradeneeded = () => {
    open.result.createObjectStore(META);
    open.result.createObjectStore(ENTRIES);
  };
  const db = await request(open);
  return new IndexedDBStorage(db);
}

/** Deletes the store named `name` (for "forget this node"). */
export function deleteIndexedDBStorage(name, indexedDB = globalThis.indexedDB) {
  return request(indexedDB.deleteDatabase(`rtcmesh-raft:${name}`));
}

class IndexedDBStorage {
  #db;

  constructor(db) {
    this.#db = db;
  }

  /** What a restarted node is built from: { hardState, snapshot, entries }. */
  async load() {
    const transaction = this.#db.transaction([META, ENTRIES], 'readonly');
    const [hardState, snapshot, entries] = await Promise.all([
      request(transaction.objectStore(META).get('hardState')),
      request(transaction.objectStore(META).get('snapshot')),
      request(transaction.objectStore(ENTRIES).getAll()),
    ]);
    const after = snapshot?.index ?? 0;
    return {
      hardState: hardState ?? null,
      snapshot: snapshot ?? null,
      entries: entries.filter((entry) => entry.index > after).sort((a, b) => a.index - b.index),
    };
  }

  /** Persists one Ready: snapshot, then entries (overwriting from the first), then hard state. */
  save(ready) {
    const transaction = this.#db.transaction([META, ENTRIES], 'readwrite');
    const meta = transaction.objectStore(META);
    const entries = transaction.objectStore(ENTRIES);
    if (ready.snapshot) {
      meta.put(ready.snapshot, 'snapshot');
      entries.delete(IDBKeyRange.upperBound(ready.snapshot.index));
    }
    if (ready.entries.length > 0) {
      entries.delete(IDBKeyRange.lowerBound(ready.entries[0].index));
      for (const entry of ready.entries) entries.put(entry, entry.index);
    }
    if (ready.hardState) meta.put(ready.hardState, 'hardState');
    return completion(transaction);
  }

  /** Keeps a snapshot made by compaction and drops the entries it covers. */
  saveSnapshot(snapshot) {
    const transaction = this.#db.transaction([META, ENTRIES], 'readwrite');
    transaction.objectStore(META).put(snapshot, 'snapshot');
    transaction.objectStore(ENTRIES).delete(IDBKeyRange.upperBound(snapshot.index));
    return completion(transaction);
  }

  close() {
    this.#db.close();
  }
}
