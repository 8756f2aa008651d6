// Bad input from JS: every public RTCMesh method with wrong types, unknown
// peers, hostile SDP and candidates, after close, and from inside its own
// event handlers. Each gets a clear TypeError or RTCMeshError; the module
// never aborts and the mesh keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RTCMesh, RTCMeshError } from 'rtcmesh';
import { hasDocumentedCode } from '../support/error-codes.mjs';
import { MeshBus, RTCPeerConnection, nextEvent, withTimeout } from '../support/mesh-bus.mjs';

const typeError = (pattern) => (error) => error instanceof TypeError && error.code === 'bad_argument' && pattern.test(error.message);
const meshError = (code) => (error) => error instanceof RTCMeshError && hasDocumentedCode(error) && error.code === code && error.message.length > 10;

test('the constructor refuses bad options with a TypeError that names the option', () => {
  const make = (options) => () => new RTCMesh({ RTCPeerConnection, ...options });
  assert.throws(() => new RTCMesh(null), typeError(/options must be an object/));
  assert.throws(make({}), typeError(/options\.id must be a non-empty string/));
  assert.throws(make({ id: 42 }), typeError(/options\.id/));
  assert.throws(make({ id: 'a', peers: 'b' }), typeError(/options\.peers must be an array/));
  assert.throws(make({ id: 'a', peers: ['b', 7] }), typeError(/options\.peers\[1\]/));
  assert.throws(make({ id: 'a', iceServers: {} }), typeError(/iceServers must be an array/));
  assert.throws(make({ id: 'a', maxMessageBytes: -1 }), typeError(/maxMessageBytes/));
  assert.throws(() => new RTCMesh({ id: 'a', RTCPeerConnection: 'nope' }), typeError(/RTCPeerConnection/));
  assert.throws(make({ id: 'x'.repeat(300) }), meshError('bad_argument'));
});

test('every method refuses wrong types, unknown peers and hostile input, and the mesh goes on', async () => {
  const bus = MeshBus.full(['peer-1', 'peer-2']);
  try {
    await bus.formed();
    const [a, b] = bus.meshes.values();
    for (const method of ['createOffer', 'readyState', 'user_channel', 'relayed', 'addPeer', 'removePeer']) {
      assert.throws(() => a[method](17), typeError(/peer must be a non-empty string/), method);
      assert.throws(() => a[method](''), typeError(/peer/), method);
    }
    assert.throws(() => a.createAnswer('peer-2', 12), typeError(/offer must be an SDP string/));
    assert.throws(() => a.addAnswer('peer-2', { type: 'answer' }), typeError(/answer must be/));
    assert.throws(() => a.addIceCandidate('peer-2', 5), typeError(/candidate must be/));
    assert.throws(() => a.send('peer-2', 5), typeError(/data must be a string, an ArrayBuffer or a typed array/));
    assert.throws(() => a.send('peer-2', { length: 3 }), typeError(/data must be/));
    assert.throws(() => a.broadcast(undefined), typeError(/data must be/));

    for (const call of [
      () => a.createOffer('stranger'),
      () => a.send('stranger', 'x'),
      () => a.createAnswer('stranger', 'v=0'),
      () => a.addAnswer('stranger', 'v=0'),
      () => a.addIceCandidate('stranger', null),
      () => a.removePeer('stranger'),
      () => a.close('stranger'),
    ]) {
      assert.throws(call, meshError('unknown_peer'));
    }
    assert.equal(a.readyState('stranger'), 'closed');
    assert.equal(a.user_channel('stranger'), null);
    assert.throws(() => a.addPeer('peer-1'), meshError('bad_argument'), 'a node cannot peer with itself');

    // Hostile SDP and candidates from signaling.
    assert.throws(() => b.createAnswer('peer-1', 'this is not sdp'), meshError('bad_sdp'));
    assert.throws(() => a.addAnswer('peer-2', '\u0000'.repeat(100)), (e) => e instanceof RTCMeshError);
    a.addIceCandidate('peer-2', { candidate: 'candidate:garbage', sdpMid: '0', sdpMLineIndex: 0 });
    a.addIceCandidate('peer-2', '{"not": "a candidate"');

    // Still a working mesh.
    const heard = nextEvent(b, 'message');
    a.send('peer-2', 'after all that');
    assert.equal((await withTimeout(heard, 5000, 'a message')).data, 'after all that');
    assert.equal(a.readyState('peer-2'), 'open');
  } finally {
    bus.closeAll();
  }
});

test('calls after close() throw RTCMeshError "closed"; queries answer "closed"', async () => {
  const bus = MeshBus.full(['peer-1', 'peer-2']);
  const [a] = bus.meshes.values();
  a.close();
  for (const call of [
    () => a.createOffer('peer-2'),
    () => a.createAnswer('peer-2', 'v=0'),
    () => a.addAnswer('peer-2', 'v=0'),
    () => a.addIceCandidate('peer-2', null),
    () => a.send('peer-2', 'x'),
    () => a.broadcast('x'),
    () => a.addPeer('peer-3'),
    () => a.removePeer('peer-2'),
    () => a.close('peer-2'),
  ]) {
    assert.throws(call, meshError('closed'));
  }
  assert.equal(a.readyState('peer-2'), 'closed');
  assert.equal(a.user_channel('peer-2'), null);
  assert.equal(a.relayed('peer-2'), false);
  assert.equal(a.openPeerConnections, 0);
  bus.closeAll();
});

test('handlers may call back into the mesh, even close it, while it dispatches', async () => {
  const bus = MeshBus.full(['peer-1', 'peer-2', 'peer-3']);
  try {
    await bus.formed();
    const [a, b, c] = bus.meshes.values();
    // b answers every message from inside the handler; c closes itself on its first.
    b.addEventListener('message', (event) => {
      if (event.data === 'ping') b.send(event.origin, 'pong');
    });
    c.addEventListener('message', () => c.close());
    const closedEvents = [];
    c.addEventListener('close', () => closedEvents.push('close'));
    const pong = nextEvent(a, 'message');
    a.broadcast('ping');
    a.broadcast('second');
    assert.equal((await withTimeout(pong, 5000, 'the pong')).data, 'pong');
    await withTimeout(nextEvent(a, 'removechannel'), 10000, 'a to see c go');
    assert.equal(c.closed, true);
    assert.deepEqual(closedEvents, ['close']);
    assert.equal(c.openPeerConnections, 0);
    assert.equal(a.readyState('peer-2'), 'open');
  } finally {
    bus.closeAll();
  }
});
