// Attacks by a member, with real WebRTC (@roamhq/wrtc) on loopback. mallory
// runs a modified client: her RTCPeerConnection rewrites the frames her mesh
// writes, as anyone can who edits the page. The same attacks run against the
// core in native-tests/mesh/trust_test.cpp, with the protection off first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshBus, RTCPeerConnection, withTimeout } from '../support/mesh-bus.mjs';
import { poll } from '../support/wait.mjs';

const VERSION = 3;
const HEADER = 40;

// FNV-1a 64 of an id, as the core hashes ids onto the wire (src/core/mesh/frame.cpp).
function idHash(id) {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(id)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h === 0n ? 1n : h;
}

// A peer connection whose data channel lets `tamper(frame)` rewrite each
// outgoing frame (a Uint8Array copy) and see each incoming one.
function tamperingPeerConnection({ outgoing, incoming }) {
  return class extends RTCPeerConnection {
    createDataChannel(label, init) {
      const channel = super.createDataChannel(label, init);
      const send = channel.send.bind(channel);
      channel.send = (data) => {
        const frame = new Uint8Array(ArrayBuffer.isView(data) ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data);
        send(outgoing(frame) ?? frame);
      };
      channel.addEventListener('message', ({ data }) => incoming(new Uint8Array(data)));
      return channel;
    }
  };
}

const view = (frame) => new DataView(frame.buffer, frame.byteOffset, frame.byteLength);

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
        if (frame[0] !== VERSION || frame[1] !== 1 || frame.length - HEADER !== 1000) return undefined;
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
