// RoomSeal, the decoder of sealed signals, under hostile input (fast-check):
// whatever the server or an outsider sends, open() resolves to null and
// never throws; any altered byte, another pair of members, another room or
// another key fails; a replay fails; a member that holds the secret cannot
// sign for another; and real signals round-trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RoomSeal, createIdentity, createSecret, identityId } from '../../js/api/room-seal.js';

const secret = createSecret();
const seals = {
  ana: await RoomSeal.create('room', 'ana', { secret }),
  ben: await RoomSeal.create('room', 'ben', { secret }),
  benOtherRoom: await RoomSeal.create('other room', 'ben', { secret }),
  benOtherKey: await RoomSeal.create('room', 'ben', { secret: createSecret() }),
};

// Members first say hello: it pins their signing keys.
for (const [from, to] of [['ana', 'ben'], ['ben', 'ana']]) {
  assert.ok(await seals[to].open(from, await seals[from].seal(to, seals[from].hello())), `${from}'s hello`);
}
const mallory = await RoomSeal.create('room', 'mallory', { secret }); // holds the secret, not ana's key

const body = fc.jsonValue({ maxDepth: 3 });

test('sealed signals round-trip, once', async () => {
  await fc.assert(
    fc.asyncProperty(body, async (value) => {
      const data = await seals.ana.seal('ben', value);
      assert.deepEqual(await seals.ben.open('ana', data), JSON.parse(JSON.stringify(value)));
      assert.equal(await seals.ben.open('ana', data), null, 'a replay');
    }),
    { numRuns: 200 },
  );
});

test('hostile input to open() resolves to null and never throws', async () => {
  const sealed = fc.oneof(fc.string({ maxLength: 200 }), fc.base64String({ maxLength: 400 }).map((s) => s.replace(/=+$/, '')));
  const data = fc.oneof(
    fc.anything(),
    sealed.map((s) => ({ sealed: s })),
    sealed.map((s) => ({ pair: s })),
    fc.record({ sealed: fc.anything() }),
    fc.record({ pair: fc.anything() }),
  );
  await fc.assert(
    fc.asyncProperty(data, fc.string({ maxLength: 20 }), async (value, from) => {
      assert.equal(await seals.ben.open(from, value), null);
    }),
    { numRuns: 500 },
  );
});

test('an altered byte, another pair, room or key: it does not open', async () => {
  await fc.assert(
    fc.asyncProperty(body, fc.nat(), fc.integer({ min: 1, max: 255 }), async (value, where, flip) => {
      const [form, text] = Object.entries(await seals.ana.seal('ben', value))[0]; // 'pair': the hellos were exchanged
      assert.equal(form, 'pair');
      const bytes = Buffer.from(text, 'base64url');
      bytes[where % bytes.length] ^= flip;
      assert.equal(await seals.ben.open('ana', { [form]: bytes.toString('base64url') }), null, 'altered');
      const fresh = await seals.ana.seal('ben', value);
      assert.equal(await seals.ben.open('cho', fresh), null, 'claimed by another sender');
      assert.equal(await seals.ana.open('ana', fresh), null, 'opened by another receiver');
      assert.equal(await seals.benOtherRoom.open('ana', fresh), null, 'another room');
      assert.equal(await seals.benOtherKey.open('ana', fresh), null, 'another secret');
      // mallory seals under ana's name (the server delivers it as from ana).
      const impostor = await RoomSeal.create('room', 'ana', { secret });
      assert.equal(await seals.ben.open('ana', await impostor.seal('ben', value)), null, "not signed by ana's pinned key");
      assert.equal(await seals.ben.open('ana', await impostor.seal('ben', impostor.hello())), null, 'a hello with another key under a pinned id');
      assert.equal(await seals.ben.open('mallory', await mallory.seal('ben', value)), null, 'no hello yet: no key pinned');
    }),
    { numRuns: 100 },
  );
});

test('after the hellos a pair seals with its own key: no signature, and no one else can write one', async () => {
  assert.deepEqual(Object.keys(await seals.ana.seal('ben', { kind: 'offer', sdp: 'v=0' })), ['pair']);
  assert.deepEqual(Object.keys(await seals.ana.seal('ben', seals.ana.hello())), ['sealed'], 'a hello is always signed');
  assert.deepEqual(Object.keys(await mallory.seal('ben', { kind: 'offer' })), ['sealed'], 'no hello of ben opened at mallory');
  // mallory, who holds the secret and met ana, still cannot write as ana to
  // ben: the pair key comes from ana's and ben's ECDH keys.
  const impostor = await RoomSeal.create('room', 'ana', { secret });
  assert.ok(await impostor.open('ben', await seals.ben.seal('ana', seals.ben.hello())), "ben's hello, as the server could deliver it");
  const forged = await impostor.seal('ben', { kind: 'offer', sdp: 'mallory' });
  assert.deepEqual(Object.keys(forged), ['pair']);
  assert.equal(await seals.ben.open('ana', forged), null);
});

test('two members share a relay key that no third member can derive', async () => {
  const ana = seals.ana.relayKey('ben');
  const ben = seals.ben.relayKey('ana');
  assert.ok(ana instanceof Uint8Array && ana.length === 32);
  assert.deepEqual(ana, ben);
  // mallory holds the secret and hears ana's hello (sent to her), and still
  // derives another key: the ECDH halves are ana's and her own.
  assert.ok(await mallory.open('ana', await seals.ana.seal('mallory', seals.ana.hello())));
  assert.notDeepEqual(mallory.relayKey('ana'), ana);
  assert.equal(mallory.relayKey('ben'), null, 'no hello from ben: no key');
  // A member that says hello again with a new ECDH key (a new RoomSeal)
  // gives a new key; forget() drops it.
  const ana2 = await RoomSeal.create('room', 'ana', { secret }); // another identity and ECDH key
  const cho = await RoomSeal.create('room', 'cho', { secret });
  assert.ok(await cho.open('ana', await seals.ana.seal('cho', seals.ana.hello())));
  const first = cho.relayKey('ana');
  cho.forget('ana');
  assert.equal(cho.relayKey('ana'), null);
  assert.ok(await cho.open('ana', await ana2.seal('cho', ana2.hello())));
  assert.notDeepEqual(cho.relayKey('ana'), first);
});

test('a hello without a valid ECDH key does not open', async () => {
  const eve = await RoomSeal.create('room', 'eve', { secret });
  const dee = await RoomSeal.create('room', 'dee', { secret });
  for (const dh of [undefined, '', 'AAAA', `B${'A'.repeat(86)}`, eve.hello().key]) {
    const hello = { ...eve.hello(), dh };
    assert.equal(await dee.open('eve', await eve.seal('dee', hello)), null, `dh ${String(dh).slice(0, 12)}`);
    assert.equal(dee.relayKey('eve'), null);
  }
  assert.ok(await dee.open('eve', await eve.seal('dee', eve.hello())), 'its real hello still opens');
});

test("an id derived from a key opens only with that key; other ids are trusted on first use", async () => {
  const owner = await createIdentity();
  const ownId = await identityId(owner);
  assert.match(ownId, /^key-[A-Za-z0-9_-]{27}$/);
  assert.equal(await identityId(owner.publicKey), ownId, 'the pair or its public key');
  const dee = await RoomSeal.create('room', 'dee', { secret });
  // mallory holds the secret and says hello first under the owner's id.
  const squatter = await RoomSeal.create('room', ownId, { secret });
  assert.equal(await dee.open(ownId, await squatter.seal('dee', squatter.hello())), null, 'another key under a key id');
  const real = await RoomSeal.create('room', ownId, { secret, identity: owner });
  assert.ok(await dee.open(ownId, await real.seal('dee', real.hello())), "the id's own key opens");
  // Under a chosen id the first key wins (the README says so).
  const first = await RoomSeal.create('room', 'alice', { secret });
  assert.ok(await dee.open('alice', await first.seal('dee', first.hello())));
  const second = await RoomSeal.create('room', 'alice', { secret });
  assert.equal(await dee.open('alice', await second.seal('dee', second.hello())), null, 'another key under a pinned id');
  assert.ok(await dee.open('alice', await first.seal('dee', first.hello({ reply: true }))), 'the pinned key says hello again');
  await assert.rejects(identityId({}), { code: 'bad_argument' });
});
