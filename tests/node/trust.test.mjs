// Attacks by a member, with real WebRTC (@roamhq/wrtc) on loopback. mallory
// runs a modified client: her RTCPeerConnection rewrites the frames her mesh
// writes, as anyone can who edits the page. The same attacks run against the
// core in native-tests/mesh/trust_test.cpp, with the protection off first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshBus, withTimeout } from '../support/mesh-bus.mjs';
import { HEADER, VERSION, idHash, payloadLength, relayedDataFrom, replaceText, tamperingPeerConnection, view } from '../support/tampering.mjs';
import { poll } from '../support/wait.mjs';
import { RoomSeal, RTCMesh } from 'rtcmesh';


test('a member cannot send a frame under another member\'s name', async () => {
  const alice = idHash('alice');
  let aliceEpoch = 0;
  const bus = new MeshBus();
  bus.add('alice', ['alice', 'bob', 'mallory']);
  bus.add('bob', ['alice', 'bob', 'mallory']);
  const mallory = bus.add('mallory', ['alice', 'bob', 'mallory'], {
    RTCPeerConnection: tamperingPeerConnection({
      // alice's epoch is in every frame she sends mallory: no secret.
      incoming(frame) {
        if (frame.length >= HEADER && frame[0] === VERSION && view(frame).getBigUint64(8, true) === alice) {
          aliceEpoch = view(frame).getUint32(4, true);
        }
      },
      // Her text messages leave with alice's origin and epoch.
      outgoing(frame) {
        const text = new TextDecoder().decode(frame.subarray(HEADER));
        if (frame[0] !== VERSION || frame[1] !== 1 || !text.startsWith('pay eve')) return undefined;
        view(frame).setBigUint64(8, alice, true);
        view(frame).setUint32(4, aliceEpoch, true);
        return frame;
      },
    }),
  });
  try {
    await bus.formed();
    const bob = bus.meshes.get('bob');
    const got = [];
    bob.addEventListener('message', ({ origin, data }) => got.push(`${origin}: ${data}`));
    const refused = new Promise((resolve) =>
      bob.addEventListener('error', ({ detail }) => detail.code === 'forged_frame' && resolve(detail)),
    );
    // An ack or link-state frame from alice has reached mallory by now.
    await poll(() => aliceEpoch !== 0, 10000, "alice's epoch seen by mallory");
    mallory.send('bob', 'pay eve 9999');
    const report = await withTimeout(refused, 10000, 'forged_frame error at bob');
    assert.equal(report.peer, 'mallory'); // the neighbour that sent it is named
    assert.match(report.message, /another member's name/);
    // alice's real message is delivered, under her name, as her first.
    bus.meshes.get('alice').send('bob', 'pay bob 10');
    await poll(() => got.includes('alice: pay bob 10'), 10000, "alice's message at bob");
    assert.deepEqual(got.filter((line) => line.includes('pay eve')), []);
  } finally {
    for (const mesh of bus.meshes.values()) mesh.close();
  }
});

test("one peer's huge reassembly claims do not delay another's messages", async () => {
  // mallory's big sends leave as first chunks that claim 64 MiB and never end.
  const bus = new MeshBus();
  bus.add('alice', ['alice', 'bob', 'mallory']);
  bus.add('bob', ['alice', 'bob', 'mallory']);
  const mallory = bus.add('mallory', ['alice', 'bob', 'mallory'], {
    RTCPeerConnection: tamperingPeerConnection({
      incoming() {},
      outgoing(frame) {
        if (frame[0] !== VERSION || frame[1] !== 1 || payloadLength(frame) !== 1000) return undefined;
        view(frame).setUint32(36, 64 << 20, true); // total_length: 64 MiB
        return frame;
      },
    }),
  });
  try {
    await bus.formed();
    const bob = bus.meshes.get('bob');
    const errors = [];
    bob.addEventListener('error', ({ detail }) => errors.push(detail));
    for (let i = 0; i < 300; i++) mallory.send('bob', new Uint8Array(1000));
    const big = new Uint8Array(3 << 20).map((_, i) => i * 7);
    let arrived = false;
    const done = new Promise((resolve) =>
      bob.addEventListener('message', ({ origin, data }) => {
        if (origin === 'alice' && data.byteLength === big.byteLength) {
          arrived = Buffer.from(data).equals(Buffer.from(big));
          resolve();
        }
      }),
    );
    // Give mallory's frames a head start, then alice sends 3 MiB.
    await new Promise((resolve) => setTimeout(resolve, 500));
    bus.meshes.get('alice').send('bob', big);
    await withTimeout(done, 20000, "alice's 3 MiB at bob");
    assert.ok(arrived, 'byte-exact');
    const limits = errors.filter((e) => e.code === 'reassembly_limit');
    assert.ok(limits.length > 0, 'mallory ran into her own budget');
    for (const e of limits) assert.equal(e.peer, 'mallory');
  } finally {
    for (const mesh of bus.meshes.values()) mesh.close();
  }
});

// With alice's link to bob never made, mallory relays between them and
// rewrites what she carries. Without a key shared by alice and bob the
// rewrite is believed (the test bites); with the key their RoomSeals derive
// from each other's hellos, it is refused and reported.
for (const shareKey of [false, true]) {
  test(`a relay ${shareKey ? 'cannot alter frames between members that share a key' : 'alters frames between members that share no key'}`, async () => {
    let tampering = true;
    const bus = new MeshBus();
    // No candidate passes between alice and bob: ICE has no pair to try.
    bus.candidates = (from, to, candidate) => (from !== 'mallory' && to !== 'mallory' ? undefined : candidate);
    const ids = ['alice', 'bob', 'mallory'];
    const aliceMesh = bus.add('alice', ids);
    const bobMesh = bus.add('bob', ids);
    bus.add('mallory', ids, {
      RTCPeerConnection: tamperingPeerConnection({
        incoming() {},
        // A frame she relays from alice (hops_left 1) has its text rewritten.
        outgoing(frame) {
          if (tampering && relayedDataFrom(frame, 'alice') && replaceText(frame, 'pay bob 10', 'pay eve 99')) return frame;
          return undefined;
        },
      }),
    });
    try {
      if (shareKey) {
        const secret = RTCMesh.createSecret();
        const seals = { alice: await RoomSeal.create('room', 'alice', { secret }), bob: await RoomSeal.create('room', 'bob', { secret }) };
        assert.ok(await seals.bob.open('alice', await seals.alice.seal('bob', seals.alice.hello())));
        assert.ok(await seals.alice.open('bob', await seals.bob.seal('alice', seals.bob.hello({ reply: true }))));
        aliceMesh.setRelayKey('bob', seals.alice.relayKey('bob'));
        bobMesh.setRelayKey('alice', seals.bob.relayKey('alice'));
      }
      await poll(() => aliceMesh.relayed('bob') && bobMesh.relayed('alice'), 20000, 'alice and bob relayed through mallory');
      const got = [];
      bobMesh.addEventListener('message', ({ origin, data }) => got.push(`${origin}: ${data}`));
      const refused = [];
      bobMesh.addEventListener('error', ({ detail }) => detail.code === 'forged_frame' && refused.push(detail));
      aliceMesh.send('bob', 'pay bob 10');
      if (!shareKey) {
        await poll(() => got.length > 0, 10000, "alice's message at bob");
        assert.deepEqual(got, ['alice: pay eve 99']); // rewritten, and believed
        return;
      }
      await poll(() => refused.length > 0, 10000, 'forged_frame error at bob');
      assert.equal(refused[0].peer, 'mallory'); // the relay is named
      assert.match(refused[0].message, /end-to-end check/);
      assert.deepEqual(got, []);
      // The relay could hold the message back, not change it: once she
      // stops, alice's retransmit arrives as written.
      tampering = false;
      await poll(() => got.length > 0, 15000, "alice's retransmitted message at bob");
      assert.deepEqual(got, ['alice: pay bob 10']);
    } finally {
      for (const mesh of bus.meshes.values()) mesh.close();
    }
  });
}
