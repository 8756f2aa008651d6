// Bad input to Raft and ReplicatedMap from JS: wrong types, garbage
// messages, calls after close. Each gets a clear TypeError / RaftError or an
// `error` event (a message after close is ignored); the module never aborts
// and the node keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Raft, RaftError, ReplicatedMap } from 'rtcmesh';
import { hasDocumentedCode } from '../support/error-codes.mjs';
import { poll } from '../support/wait.mjs';

const fast = { electionMinTimeout: 50, electionMaxTimeout: 100, heartbeatInterval: 20 };

test('the constructor refuses bad options with a TypeError naming the option', () => {
  assert.throws(() => new Raft(null), { name: 'TypeError', code: 'bad_argument', message: /options must be an object/ });
  assert.throws(() => new Raft({}), { name: 'TypeError', code: 'bad_argument', message: /options\.address/ });
  assert.throws(() => new Raft({ address: 5 }), { name: 'TypeError', code: 'bad_argument', message: /options\.address/ });
  assert.throws(() => new Raft({ address: 'a', heartbeatInterval: -1 }), { name: 'TypeError', code: 'bad_argument', message: /heartbeatInterval/ });
  assert.throws(() => new Raft({ address: 'a', electionMinTimeout: 500, electionMaxTimeout: 100 }), { name: 'RangeError' });
  assert.throws(() => new Raft({ address: 'a', members: 'b' }), { name: 'TypeError', code: 'bad_argument', message: /members/ });
  assert.throws(() => new ReplicatedMap({}), { name: 'TypeError', code: 'bad_argument' });
});

test('every method refuses wrong types; garbage messages raise error events; the node goes on', async () => {
  const raft = new Raft({ address: 'solo', ...fast });
  try {
    const errors = [];
    raft.addEventListener('error', ({ detail }) => errors.push(detail.message));
    assert.throws(() => raft.join(7, () => {}), { name: 'TypeError', code: 'bad_argument' });
    assert.throws(() => raft.join('b', 'not a function'), { name: 'TypeError', code: 'bad_argument', message: /send must be a function/ });
    assert.throws(() => raft.leave(null), { name: 'TypeError', code: 'bad_argument' });
    assert.throws(() => raft.onRaftMessage(42), { name: 'TypeError', code: 'bad_argument' });
    assert.throws(() => raft.onRaftMessage(new Uint8Array(1), 5), { name: 'TypeError', code: 'bad_argument' });
    assert.throws(() => raft.transferLeadership(''), { name: 'TypeError', code: 'bad_argument' });
    assert.throws(() => raft.propose({}), { name: 'TypeError', code: 'bad_argument' });
    assert.throws(() => raft.compact(12), { name: 'TypeError', code: 'bad_argument' });

    await poll(() => raft.role === 'leader', 2000, 'a single node to lead');
    raft.onRaftMessage(new Uint8Array([1, 2, 3, 4]));
    raft.onRaftMessage(new Uint8Array(10000).fill(255));
    raft.onRaftMessage(new TextEncoder().encode('{"type":"vote"}'));
    await new Promise((resolve) => setImmediate(resolve)); // error events come with the next Ready
    assert.equal(errors.length, 3);
    assert.ok(errors.every((message) => /bad message/.test(message)), errors.join('\n'));
    assert.equal(raft.role, 'leader');

    await assert.rejects(raft.propose(new Uint8Array(2 * 1024 * 1024)), (error) => error instanceof RaftError && hasDocumentedCode(error) && error.code === 'too_large' && /limit/.test(error.message));
    assert.throws(() => raft.transferLeadership('nobody'), (error) => error instanceof RaftError && hasDocumentedCode(error) && error.code === 'bad_argument' && /not a voter/.test(error.message));
    const map = new ReplicatedMap(raft);
    assert.throws(() => map.set('', 1), { name: 'TypeError', code: 'bad_argument' });
    assert.throws(() => map.set('k', undefined), { name: 'TypeError', code: 'bad_argument' });
    await map.set('k', { nested: [1, 2] });
    assert.deepEqual(await map.read('k'), { nested: [1, 2] });
  } finally {
    await raft.close();
  }
});

test('calls after close() throw RaftError (but a late message is ignored); pending proposals are rejected', async () => {
  // Two nodes; once one leads, the link is cut, so a proposal cannot commit.
  let connected = true;
  const nodes = new Map();
  for (const address of ['p', 'q']) nodes.set(address, new Raft({ address, members: ['p', 'q'], ...fast }));
  for (const [address, raft] of nodes) {
    const other = address === 'p' ? 'q' : 'p';
    raft.join(other, (data) => setImmediate(() => connected && !nodes.get(other).closed && nodes.get(other).onRaftMessage(data)));
  }
  await poll(() => [...nodes.values()].some((n) => n.role === 'leader'), 3000, 'a leader');
  const raft = [...nodes.values()].find((n) => n.role === 'leader');
  connected = false;
  const pending = raft.propose('never committed');
  await raft.close();
  await assert.rejects(pending, (error) => error instanceof RaftError && hasDocumentedCode(error) && error.code === 'closed' && /closed/.test(error.message));
  assert.equal(raft.closed, true);
  for (const call of [() => raft.join('b', () => {}), () => raft.leave('b'), () => raft.transferLeadership('b')]) {
    assert.throws(call, (error) => error instanceof RaftError && hasDocumentedCode(error) && error.code === 'closed' && /closed/.test(error.message));
  }
  assert.doesNotThrow(() => raft.onRaftMessage(new Uint8Array(1)));
  await assert.rejects(raft.propose('x'), RaftError);
  await assert.rejects(raft.readIndex(), RaftError);
  assert.equal(raft.leader, null);
  raft.update(); // harmless
  await raft.close(); // a second close resolves too
  for (const node of nodes.values()) await node.close();
});

test('onRaftMessage after close() throws (bug 6): a late message is ignored, never thrown', async () => {
  // The seed's example: send() delivers a turn later, as every network does,
  // and the host does not know the target closed meanwhile.
  const nodes = new Map();
  const thrown = [];
  let lateDeliveries = 0;
  for (const address of ['p', 'q']) nodes.set(address, new Raft({ address, members: ['p', 'q'], ...fast }));
  for (const [address, raft] of nodes) {
    const other = address === 'p' ? 'q' : 'p';
    raft.join(other, (data) => {
      const copy = data.slice();
      setImmediate(() => {
        const target = nodes.get(other);
        if (target.closed) lateDeliveries += 1;
        try {
          target.onRaftMessage(copy);
        } catch (error) {
          thrown.push(error);
        }
      });
    });
  }
  try {
    await poll(() => [...nodes.values()].some((n) => n.role === 'leader'), 3000, 'a leader');
    const follower = [...nodes.values()].find((n) => n.role !== 'leader');
    await follower.close();
    // The leader goes on sending heartbeats to the closed follower.
    await poll(() => lateDeliveries >= 3, 3000, 'messages delivered after close()');
    assert.deepEqual(thrown.map(String), []);
    assert.equal(follower.closed, true);
    assert.throws(() => follower.onRaftMessage(42), { name: 'TypeError', code: 'bad_argument' }); // a wrong type is still a bug of the caller
  } finally {
    for (const node of nodes.values()) await node.close();
  }
});
