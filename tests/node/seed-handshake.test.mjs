// The seed's handshake with signaling kept outside, wired from what
// createOffer() and createAnswer() return (as RTCPeerConnection users expect),
// not from the offer and answer events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RTCMesh } from 'rtcmesh';
import { RTCPeerConnection, withTimeout } from '../support/mesh-bus.mjs';
import { poll } from '../support/wait.mjs';

test('createOffer and createAnswer resolve to descriptions that connect two meshes', async () => {
  const a = new RTCMesh({ id: 'a', peers: ['a', 'b'], RTCPeerConnection });
  const b = new RTCMesh({ id: 'b', peers: ['a', 'b'], RTCPeerConnection });
  try {
    // Only candidates travel through events here.
    a.addEventListener('icecandidate', ({ detail }) => setImmediate(() => !b.closed && b.addIceCandidate('a', detail.candidate)));
    b.addEventListener('icecandidate', ({ detail }) => setImmediate(() => !a.closed && a.addIceCandidate('b', detail.candidate)));
    let emitted = null;
    a.addEventListener('offer', ({ detail }) => { emitted = detail.sdp; });

    const offer = await withTimeout(a.createOffer('b'), 10000, 'the offer');
    assert.equal(offer.type, 'offer');
    assert.match(offer.sdp, /^v=0\r\n/);
    assert.equal(emitted, offer.sdp, 'the same offer was also emitted as an event');
    const answer = await withTimeout(b.createAnswer('a', offer), 10000, 'the answer');
    assert.equal(answer.type, 'answer');
    assert.match(answer.sdp, /^v=0\r\n/);
    a.addAnswer('b', answer);
    await poll(() => a.readyState('b') === 'open' && b.readyState('a') === 'open', 15000, 'the link to open');
  } finally {
    a.close();
    b.close();
  }
});

test('a description still pending when the mesh closes rejects with code closed; bad input still throws at once', async () => {
  const mesh = new RTCMesh({ id: 'a', peers: ['a', 'b'], RTCPeerConnection });
  const pending = mesh.createOffer('b');
  assert.throws(() => mesh.createAnswer('b', 42), TypeError);
  assert.throws(() => mesh.createOffer(''), TypeError);
  mesh.close();
  await assert.rejects(pending, { name: 'RTCMeshError', code: 'closed' });
});
