// openFileStorage: Raft's durable state on disk for Node members. What was
// saved comes back after a reopen, whatever the sequence of saves; a torn
// last record is cut off; two processes never share a folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { openFileStorage } from '../../js/node/file-storage.js';

const bytes = (text) => new TextEncoder().encode(text);
const entry = (index, term, text = `e${index}`) => ({ index, term, type: 'normal', data: bytes(text) });

async function withFolder(fn) {
  const folder = await mkdtemp(join(tmpdir(), 'rtcmesh-file-storage-'));
  try {
    return await fn(folder);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

test('saves come back after a reopen: entries overwritten from the first, a snapshot drops what it covers', async () => {
  await withFolder(async (folder) => {
    const storage = await openFileStorage(folder);
    await storage.save({ hardState: { term: 1, vote: 'a', commit: 0 }, entries: [entry(1, 1), entry(2, 1), entry(3, 1)], snapshot: null });
    await storage.save({ hardState: { term: 2, vote: 'b', commit: 2 }, entries: [entry(3, 2, 'new'), entry(4, 2)], snapshot: null });
    await storage.saveSnapshot({ index: 2, term: 1, voters: ['a', 'b'], learners: ['c'], data: bytes('image') });
    await storage.close();

    const again = await openFileStorage(folder);
    const loaded = await again.load();
    assert.deepEqual(loaded.hardState, { term: 2, vote: 'b', commit: 2 });
    assert.deepEqual(loaded.snapshot, { index: 2, term: 1, voters: ['a', 'b'], learners: ['c'], data: bytes('image') });
    assert.deepEqual(loaded.entries, [entry(3, 2, 'new'), entry(4, 2)]);
    await again.close();
  });
});

test('a record torn by a crash is cut off, and what was whole before it stays', async () => {
  await withFolder(async (folder) => {
    const storage = await openFileStorage(folder);
    await storage.save({ hardState: { term: 1, vote: '', commit: 1 }, entries: [entry(1, 1)], snapshot: null });
    await storage.close();
    const whole = (await stat(join(folder, 'journal'))).size;
    await appendFile(join(folder, 'journal'), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 123])); // a header and 1 of 200 bytes

    const again = await openFileStorage(folder);
    assert.deepEqual((await again.load()).entries, [entry(1, 1)]);
    assert.equal((await stat(join(folder, 'journal'))).size, whole, 'the torn tail is cut off');
    await again.save({ hardState: null, entries: [entry(2, 1)], snapshot: null });
    await again.close();
    const third = await openFileStorage(folder);
    assert.deepEqual((await third.load()).entries, [entry(1, 1), entry(2, 1)]);
    await third.close();
  });
});

test('a record whose checksum does not match ends the journal there', async () => {
  await withFolder(async (folder) => {
    const storage = await openFileStorage(folder);
    await storage.save({ hardState: { term: 1, vote: '', commit: 0 }, entries: [entry(1, 1)], snapshot: null });
    await storage.save({ hardState: { term: 2, vote: '', commit: 0 }, entries: [], snapshot: null });
    await storage.close();
    const journal = await readFile(join(folder, 'journal'));
    journal[journal.length - 2] ^= 0xff; // inside the second record's body
    await writeFile(join(folder, 'journal'), journal);
    const again = await openFileStorage(folder);
    assert.deepEqual((await again.load()).hardState, { term: 1, vote: '', commit: 0 });
    await again.close();
  });
});

test('a folder in use by a live process is refused with storage_locked; a stale lock is taken over', async () => {
  await withFolder(async (folder) => {
    await writeFile(join(folder, 'lock'), String(process.ppid)); // our parent: alive
    await assert.rejects(openFileStorage(folder), (error) => error.code === 'storage_locked' && error.message.includes(String(process.ppid)));
    await writeFile(join(folder, 'lock'), '2147483646'); // no such process
    const storage = await openFileStorage(folder);
    assert.equal(await readFile(join(folder, 'lock'), 'utf8'), String(process.pid));
    await storage.close();
    await assert.rejects(stat(join(folder, 'lock')), { code: 'ENOENT' }, 'close() releases the lock');
  });
  await assert.rejects(openFileStorage(''), { code: 'bad_argument' });
});

test('the journal is rewritten once it is mostly history, and loads the same', async () => {
  await withFolder(async (folder) => {
    const storage = await openFileStorage(folder);
    const big = 'x'.repeat(64 * 1024);
    for (let term = 1; term <= 40; term += 1) {
      // The same index rewritten again and again: the live state stays one entry.
      await storage.save({ hardState: { term, vote: '', commit: 0 }, entries: [entry(1, term, big)], snapshot: null });
    }
    assert.ok((await stat(join(folder, 'journal'))).size < 1.5 * 1024 * 1024, 'rewritten: far below the 2.6 MB written');
    await storage.close();
    const again = await openFileStorage(folder);
    const loaded = await again.load();
    assert.deepEqual(loaded.hardState, { term: 40, vote: '', commit: 0 });
    assert.deepEqual(loaded.entries, [entry(1, 40, big)]);
    await again.close();
  });
});

test('property: any sequence of saves reloads as the same state a model keeps', async () => {
  const change = fc.record({
    from: fc.integer({ min: 1, max: 20 }),
    count: fc.integer({ min: 0, max: 4 }),
    term: fc.integer({ min: 1, max: 9 }),
    snapshotAt: fc.option(fc.integer({ min: 1, max: 20 }), { nil: null }),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(change, { maxLength: 12 }), async (changes) => withFolder(async (folder) => {
      const storage = await openFileStorage(folder);
      let model = { hardState: null, snapshot: null, entries: [] };
      for (const { from, count, term, snapshotAt } of changes) {
        const entries = Array.from({ length: count }, (_, i) => entry(from + i, term));
        const snapshot = snapshotAt === null ? null : { index: snapshotAt, term, voters: ['a'], learners: [], data: bytes(`s${snapshotAt}`) };
        const hardState = { term, vote: '', commit: 0 };
        await storage.save({ hardState, entries, snapshot });
        if (snapshot) model = { ...model, snapshot, entries: model.entries.filter((e) => e.index > snapshot.index) };
        if (entries.length > 0) model.entries = model.entries.filter((e) => e.index < from).concat(entries);
        model.hardState = hardState;
      }
      await storage.close();
      const again = await openFileStorage(folder);
      assert.deepEqual(await again.load(), model);
      await again.close();
    })),
    { numRuns: 40 },
  );
});
