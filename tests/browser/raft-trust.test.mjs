// A member that is no voter tries to take a working Raft cluster over, in
// Chromium tabs joined through the signaling server. mallory's tab runs a
// modified page whose RTCPeerConnection turns the metadata frames her mesh
// sends into messages only a leader sends (InstallSnapshot, then Append),
// with a higher term. The same bytes from a voter are believed, which shows
// the attack bites. The Node twin is tests/node/raft-trust.test.mjs; the
// core's rule is tested with the protection off in native-tests/raft/admission_test.cpp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poll } from '../support/wait.mjs';
import { RaftType, encodeRaftMessage, idHash } from '../support/tampering.mjs';
import { chromiumRooms } from './chromium.mjs';

const rooms = chromiumRooms();
const honest = ['alice', 'bob', 'cho'];

// Runs in mallory's tab: while window.forged maps a destination's id hash
// (decimal) to the bytes of a Raft message, each metadata frame her mesh
// sends to that member leaves as that Raft message instead.
function installTampering() {
  const [VERSION, HEADER, FLAG_ACK] = [4, 40, 16]; // src/core/mesh/frame.hpp
  window.forged = null;
  const Native = window.RTCPeerConnection;
  window.TamperingPeerConnection = class extends Native {
    createDataChannel(label, init) {
      const channel = super.createDataChannel(label, init);
      const send = channel.send.bind(channel);
      channel.send = (data) => {
        const frame = new Uint8Array(ArrayBuffer.isView(data) ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data);
        const metadata = frame.length > HEADER && frame[0] === VERSION && frame[1] === 1 && (frame[2] & 2) !== 0 && frame[HEADER] === 1;
        const raft = metadata && window.forged?.[new DataView(frame.buffer).getBigUint64(16, true).toString()];
        if (!raft) return send(frame);
        const out = new Uint8Array(HEADER + 1 + raft.length);
        out.set(frame.subarray(0, HEADER));
        out[2] &= ~FLAG_ACK; // an ack it carried is left out with the payload
        out[HEADER] = 0; // SystemKind::raft
        out.set(raft, HEADER + 1);
        new DataView(out.buffer).setUint32(36, 1 + raft.length, true); // total_length
        return send(out);
      };
      return channel;
    }
  };
}

async function openTab(room, id, { tampering = false, raft = true } = {}) {
  const { page, errors } = await rooms.blankTab();
  if (tampering) await page.evaluate(installTampering);
  await page.evaluate(
    async ({ url, room, id, raft }) => {
      const { RTCMesh, Raft } = await import('/js/index.js');
      const options = { id, ...(window.TamperingPeerConnection ? { RTCPeerConnection: window.TamperingPeerConnection } : {}) };
      window.mesh = await RTCMesh.join(url, room, options);
      window.snapshots = [];
      window.refusals = [];
      if (!raft) return;
      window.raft = new Raft({ mesh: window.mesh, electionMinTimeout: 300, electionMaxTimeout: 600, heartbeatInterval: 50 });
      window.raft.addEventListener('snapshot', ({ detail }) => window.snapshots.push(new TextDecoder().decode(detail.data)));
      window.raft.addEventListener('error', ({ detail }) => /not a voter/.test(detail.message) && window.refusals.push(detail));
    },
    { url: rooms.signal.url, room, id, raft },
  );
  return { page, errors, id };
}

const raftState = (tab) =>
  tab.page.evaluate(() => ({
    leader: window.raft.leader,
    term: window.raft.term,
    voters: [...window.raft.members.voters].sort(),
    applied: window.raft.appliedIndex,
    snapshots: window.snapshots,
    refusals: window.refusals,
  }));

/** Has mallory's tab send `message(to)` to each honest member, in place of her metadata. */
async function forge(mallory, message) {
  const forged = Object.fromEntries(honest.map((to) => [idHash(to).toString(), [...message(to)]]));
  await mallory.page.evaluate((forged) => {
    window.forged = Object.fromEntries(Object.entries(forged).map(([hash, bytes]) => [hash, Uint8Array.from(bytes)]));
    window.mesh.setMetadata({ round: Math.random() });
  }, forged);
}

for (const malloryVotes of [true, false]) {
  test(`${malloryVotes ? 'a voter tab can install a snapshot (the attack bites)' : 'a tab that is no voter cannot install a snapshot or take leadership'}`, { timeout: 90000 }, async () => {
    const room = malloryVotes ? 'raft-trust-voter' : 'raft-trust-stranger';
    const tabs = [];
    for (const id of honest) tabs.push(await openTab(room, id));
    const mallory = await openTab(room, 'mallory', { tampering: true, raft: malloryVotes });
    tabs.push(mallory);
    const rafts = malloryVotes ? tabs : tabs.slice(0, 3);
    const states = () => Promise.all(rafts.map(raftState));
    try {
      const voters = [...honest, ...(malloryVotes ? ['mallory'] : [])].sort();
      await poll(async () => {
        const all = await states();
        return all.every((s) => s.leader && s.leader !== 'mallory' && s.leader === all[0].leader && s.voters.join() === voters.join());
      }, 45000, 'one honest leader, with every Raft tab a voter');
      const leaderTab = () => states().then((all) => tabs.find((tab) => tab.id === all[0].leader));
      await (await leaderTab()).page.evaluate(() => window.raft.propose('real'));

      const term = Math.max(...(await states()).map((s) => s.term)) + 5;
      await forge(mallory, (to) => encodeRaftMessage({
        type: RaftType.InstallSnapshot, from: 'mallory', to, term,
        snapshot: { index: 1000, term, voters: ['mallory'], data: 'evil' },
      }));
      if (malloryVotes) {
        await poll(async () => (await states()).some((s) => s.snapshots.includes('evil')), 15000, 'the forged snapshot loaded');
        return;
      }
      await poll(async () => (await states()).every((s) => s.refusals.length >= 1), 15000, 'each tab refusing the snapshot');
      const claim = Math.max(...(await states()).map((s) => s.term)) + 7;
      await forge(mallory, (to) => encodeRaftMessage({ type: RaftType.Append, from: 'mallory', to, term: claim }));
      await poll(async () => (await states()).every((s) => s.refusals.length >= 2), 15000, 'each tab refusing the Append');

      for (const [i, s] of (await states()).entries()) {
        const id = honest[i];
        assert.deepEqual(s.snapshots, [], `${id} loaded no snapshot`);
        assert.ok(s.refusals.every((r) => r.code === 'bad_message'), `${id}'s refusals`);
        assert.notEqual(s.leader, 'mallory', `${id} follows mallory`);
        assert.ok(s.term < claim, `${id} took her term`);
        assert.deepEqual(s.voters, honest, `${id}'s voters`);
      }
      const { index } = await (await leaderTab()).page.evaluate(() => window.raft.propose('after'));
      await poll(async () => (await states()).every((s) => s.applied >= index), 10000, 'an entry after the attack, applied everywhere');
      for (const tab of tabs) assert.deepEqual(tab.errors, [], `${tab.id} page errors`);
    } finally {
      for (const tab of tabs) await tab.page.close();
    }
  });
}
