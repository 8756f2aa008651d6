// A member that is no voter tries to take a working Raft cluster over, with
// real WebRTC (@roamhq/wrtc) on loopback. mallory runs a modified client: her
// peer connection turns the metadata frames her mesh sends into the messages
// only a leader sends (InstallSnapshot, then Append), with a higher term.
// The same bytes from a voter are believed: that is what Raft trusts voters
// with (crash faults, not lies), and it shows the attack bites. The core's
// rule is tested with the protection switched off in
// native-tests/raft/admission_test.cpp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Raft } from 'rtcmesh';
import { MeshBus, withTimeout } from '../support/mesh-bus.mjs';
import { RaftType, asRaftFrame, encodeRaftMessage, idHash, isMetadataFrame, tamperingPeerConnection, view } from '../support/tampering.mjs';
import { poll } from '../support/wait.mjs';

const fast = { electionMinTimeout: 300, electionMaxTimeout: 600, heartbeatInterval: 50 };
const honest = ['alice', 'bob', 'cho'];

for (const malloryVotes of [true, false]) {
  test(`${malloryVotes ? 'a voter' : 'a member that is no voter'} ${malloryVotes ? 'can install a snapshot (the attack bites)' : 'cannot install a snapshot or take leadership'}`, { timeout: 60000 }, async () => {
    const rafts = new Map();
    const highestTerm = () => Math.max(...[...rafts.values()].map((raft) => raft.term));
    let forge = null; // (to) => the Raft message mallory's next metadata frame becomes
    const everyone = [...honest, 'mallory'];
    const bus = new MeshBus();
    for (const id of honest) bus.add(id, everyone);
    const mallory = bus.add('mallory', everyone, {
      RTCPeerConnection: tamperingPeerConnection({
        incoming() {},
        outgoing(frame) {
          if (!forge || !isMetadataFrame(frame)) return undefined;
          const to = honest.find((id) => idHash(id) === view(frame).getBigUint64(16, true));
          return to ? asRaftFrame(frame, forge(to)) : undefined;
        },
      }),
    });
    try {
      await bus.formed();
      const voters = malloryVotes ? everyone : honest;
      for (const id of honest) rafts.set(id, new Raft({ mesh: bus.meshes.get(id), members: voters, ...fast }));
      // Mallory votes but never campaigns first: had it won the first
      // election, the wait below for an honest leader could never end.
      const patient = { ...fast, electionMinTimeout: 6000, electionMaxTimeout: 9000 };
      if (malloryVotes) rafts.set('mallory', new Raft({ mesh: mallory, members: voters, ...patient }));
      const snapshots = [];
      const refusals = [];
      for (const [id, raft] of rafts) {
        raft.addEventListener('snapshot', ({ detail }) => snapshots.push({ at: id, data: new TextDecoder().decode(detail.data) }));
        raft.addEventListener('error', ({ detail }) => /not a voter/.test(detail.message) && refusals.push({ at: id, ...detail }));
      }
      await poll(() => [...rafts.values()].every((raft) => raft.leader && raft.leader !== 'mallory' && raft.leader === rafts.get('alice').leader), 20000, 'an honest leader');
      const leader = rafts.get(rafts.get('alice').leader);
      await withTimeout(leader.propose('real'), 5000, 'a first entry');

      // The snapshot makes mallory the only voter and replaces the state.
      const term = highestTerm() + 5;
      forge = (to) => encodeRaftMessage({
        type: RaftType.InstallSnapshot, from: 'mallory', to, term,
        snapshot: { index: 1000, term, voters: ['mallory'], data: 'evil' },
      });
      mallory.setMetadata({ round: 1 });
      if (malloryVotes) {
        await poll(() => snapshots.some((s) => s.data === 'evil'), 10000, 'the forged snapshot loaded');
        return;
      }
      await poll(() => refusals.length >= honest.length, 10000, 'each member refusing the snapshot');
      // Then she claims to lead, in a later term still.
      const claim = highestTerm() + 7;
      forge = (to) => encodeRaftMessage({ type: RaftType.Append, from: 'mallory', to, term: claim });
      mallory.setMetadata({ round: 2 });
      await poll(() => refusals.length >= 2 * honest.length, 10000, 'each member refusing the Append');

      assert.deepEqual(snapshots, [], 'no one loaded her snapshot');
      for (const refusal of refusals) assert.equal(refusal.code, 'bad_message');
      for (const [id, raft] of rafts) {
        assert.notEqual(raft.leader, 'mallory', `${id} follows mallory`);
        assert.ok(raft.term < claim, `${id} took her term`);
        assert.deepEqual([...raft.members.voters].sort(), honest, `${id}'s voters`);
      }
      // The cluster goes on.
      const now = rafts.get(rafts.get('alice').leader);
      const { index } = await withTimeout(now.propose('after'), 5000, 'an entry after the attack');
      await poll(() => [...rafts.values()].every((raft) => raft.appliedIndex >= index), 5000, 'applied everywhere');
    } finally {
      for (const raft of rafts.values()) await withTimeout(raft.close(), 5000, 'raft close').catch(() => {});
      bus.closeAll();
    }
  });
}
