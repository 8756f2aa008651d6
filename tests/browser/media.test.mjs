// Media tracks between Chromium tabs with fake camera and microphone: every
// member receives the others' audio and video and frames flow; a track for
// one peer reaches only that peer; removeTrack ends it there; a later member
// receives what is sent to everyone; tracks survive an ICE restart and a
// re-made connection; a member reached only through a relay is reported as
// cut off from our media (it is never relayed); remoteTracks() lists what the
// events gave, less what ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poll } from '../support/wait.mjs';
import { startHostileServer } from '../support/hostile-server.mjs';
import { LossyUdp } from '../support/lossy-udp.mjs';
import { chromiumRooms } from './chromium.mjs';

const rooms = chromiumRooms({ extraArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'] });

// A tab that joined `room` and sends its camera and microphone to everyone.
// window.received lists every track it got: { peer, kind, id, ended, frames }
// (frames: video frames drawn, counted with requestVideoFrameCallback).
async function mediaTab(room, id, signal = rooms.signal.url) {
  const tab = await rooms.blankTab();
  await tab.page.evaluate(async ({ url, room, id }) => {
    const { RTCMesh } = await import('/js/index.js');
    window.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 160, height: 120 } });
    window.mesh = await RTCMesh.join(url, room, { id });
    window.received = [];
    window.mesh.addEventListener('track', ({ detail: { peer, track, streams } }) => {
      const entry = { peer, kind: track.kind, id: track.id, ended: false, frames: 0, streams: streams.length };
      window.received.push(entry);
      if (track.kind !== 'video') return;
      const video = document.createElement('video');
      video.muted = true;
      video.srcObject = new MediaStream([track]);
      document.body.append(video);
      const count = () => {
        entry.frames++;
        if (!entry.ended) video.requestVideoFrameCallback(count);
      };
      video.requestVideoFrameCallback(count);
      video.play();
    });
    window.mesh.addEventListener('trackended', ({ detail: { peer, track } }) => {
      for (const entry of window.received) if (entry.peer === peer && entry.id === track.id) entry.ended = true;
    });
    window.relayedMedia = [];
    window.mesh.addEventListener('mediarelayed', ({ detail }) => window.relayedMedia.push(detail));
    window.handles = window.stream.getTracks().map((track) => window.mesh.addTrack(track, window.stream));
  }, { url: signal, room, id });
  return tab;
}

const received = (tab) => tab.page.evaluate(() => window.received.map(({ peer, kind, id, ended, frames, streams }) => ({ peer, kind, id, ended, frames, streams })));
// What mesh.remoteTracks() lists, in the same shape, sorted like liveIds().
const remoteTracks = (tab) => tab.page.evaluate(() => window.mesh.remoteTracks().map(({ peer, track, streams }) => `${peer} ${track.kind} ${track.id} ${streams.length}`).sort());
const liveIds = (list) => list.filter((t) => !t.ended).map(({ peer, kind, id, streams }) => `${peer} ${kind} ${id} ${streams}`).sort();
const live = (list, peer, kind) => list.filter((t) => t.peer === peer && !t.ended && (kind === undefined || t.kind === kind));

/** Resolves once `tab`'s live video from each of `peers` has drawn `more` frames past where it stood. */
async function framesFlow(tab, peers, more = 10, what = 'frames') {
  const start = await received(tab);
  const at = (list, peer) => live(list, peer, 'video').reduce((sum, t) => sum + t.frames, 0);
  await poll(async () => {
    const now = await received(tab);
    return peers.every((peer) => live(now, peer, 'video').length > 0 && at(now, peer) >= at(start, peer) + more);
  }, 30000, what);
}

test('three tabs send audio and video to each other; one-peer tracks, removal and a later member', { timeout: 180000 }, async () => {
  const tabs = {};
  try {
    for (const id of ['ana', 'ben', 'cho']) tabs[id] = await mediaTab('media', id);
    for (const [id, tab] of Object.entries(tabs)) {
      const others = Object.keys(tabs).filter((other) => other !== id);
      await poll(async () => {
        const list = await received(tab);
        return others.every((peer) => live(list, peer, 'audio').length === 1 && live(list, peer, 'video').length === 1);
      }, 30000, `${id} to receive audio and video from ${others.join(' and ')}`);
      await framesFlow(tab, others, 10, `video frames at ${id}`);
      assert.ok((await received(tab)).every((t) => t.streams === 1), 'each track came with its stream');
    }

    // A second camera track for ben only.
    const privateId = await tabs.ana.page.evaluate(() => {
      const track = window.stream.getVideoTracks()[0].clone();
      window.privateHandle = window.mesh.addTrack(track, { peer: 'ben' });
      return track.id;
    });
    await poll(async () => live(await received(tabs.ben), 'ana', 'video').length === 2, 30000, 'ben to get the second video');
    assert.ok((await received(tabs.ben)).some((t) => t.peer === 'ana' && t.kind === 'video' && !t.ended), privateId);

    await tabs.ana.page.evaluate(() => window.mesh.removeTrack(window.privateHandle));
    await poll(async () => live(await received(tabs.ben), 'ana', 'video').length === 1, 30000, 'the removed track to end at ben');
    assert.equal((await received(tabs.ben)).filter((t) => t.peer === 'ana' && t.ended).length, 1);
    // remoteTracks() is what the events said, less what ended.
    assert.deepEqual(await remoteTracks(tabs.ben), liveIds(await received(tabs.ben)));
    assert.equal((await remoteTracks(tabs.ben)).length, 4, 'audio and video from ana and cho');
    assert.equal(await tabs.ben.page.evaluate(() => window.mesh.remoteTracks('cho').every((t) => t.peer === 'cho') && window.mesh.remoteTracks('cho').length), 2);

    tabs.dan = await mediaTab('media', 'dan');
    await poll(async () => {
      const list = await received(tabs.dan);
      return ['ana', 'ben', 'cho'].every((peer) => live(list, peer, 'audio').length === 1 && live(list, peer, 'video').length === 1);
    }, 30000, 'the later member to receive everyone\'s tracks');
    await framesFlow(tabs.dan, ['ana', 'ben', 'cho'], 10, 'video frames at the later member');
    assert.deepEqual(await remoteTracks(tabs.dan), liveIds(await received(tabs.dan)));
    // By now every renegotiation of ana's has long reached cho: never the track meant for ben.
    assert.equal((await received(tabs.cho)).filter((t) => t.peer === 'ana' && t.kind === 'video').length, 1, 'cho never got ben\'s track');
    for (const tab of Object.values(tabs)) assert.deepEqual(tab.errors, []);
  } finally {
    for (const tab of Object.values(tabs)) await tab.page.close();
  }
});

test('tracks survive an ICE restart and a re-made connection', { timeout: 120000 }, async () => {
  const tabs = {};
  try {
    for (const id of ['eva', 'fay']) tabs[id] = await mediaTab('restarts', id);
    await framesFlow(tabs.fay, ['eva'], 10, 'the first frames');

    // The network changed: eva (the offering side) restarts ICE; the same tracks go on.
    await tabs.eva.page.evaluate(() => {
      window.restarts = 0;
      window.mesh.addEventListener('icerestart', () => window.restarts++);
      window.dispatchEvent(new Event('online'));
    });
    await poll(() => tabs.eva.page.evaluate(() => window.restarts > 0), 10000, 'the ICE restart');
    await framesFlow(tabs.fay, ['eva'], 10, 'frames after the ICE restart');
    assert.equal((await received(tabs.fay)).filter((t) => t.ended).length, 0, 'no track ended');

    // A new connection: the tracks are added on it and flow again.
    await tabs.eva.page.evaluate(async () => {
      window.mesh.close('fay');
      await window.mesh.createOffer('fay');
    });
    await poll(async () => {
      const list = await received(tabs.fay);
      return list.some((t) => t.ended) && live(list, 'eva', 'video').length === 1 && live(list, 'eva', 'audio').length === 1;
    }, 60000, 'the tracks on the new connection');
    await framesFlow(tabs.fay, ['eva'], 10, 'frames on the new connection');
    await framesFlow(tabs.eva, ['fay'], 10, 'frames the other way');
    for (const tab of Object.values(tabs)) assert.deepEqual(tab.errors, []);
  } finally {
    for (const tab of Object.values(tabs)) await tab.page.close();
  }
});

test('a member whose link stops carrying data, reached through another, is reported cut off from our media', { timeout: 120000 }, async () => {
  // ana–ben goes through a UDP proxy that can stop carrying data (ICE stays
  // up); their signals are rewritten to it, candidates in SDP included.
  const path = new LossyUdp(0);
  const between = (from, to) => [from, to].sort().join() === 'ana,ben';
  const server = await startHostileServer({
    onSignal: async ({ from, to, data }) => {
      if (!between(from, to)) return undefined;
      if (data?.kind === 'candidate') return { ...data, candidate: await path.rewrite(data.candidate) ?? null };
      if (typeof data?.sdp === 'string') return { ...data, sdp: data.sdp.replace(/^a=candidate:.*\r\n/gm, '') };
      return undefined;
    },
  });
  const tabs = {};
  try {
    for (const id of ['ana', 'ben', 'cho']) tabs[id] = await mediaTab('cut', id, server.url);
    await framesFlow(tabs.ben, ['ana', 'cho'], 10, 'frames at ben');
    // Every link direct first: while ana's link to cho was still forming,
    // cho was reached through ben, and that was reported too.
    await framesFlow(tabs.ana, ['ben', 'cho'], 10, 'frames at ana');
    await tabs.ana.page.evaluate(() => { window.relayedMedia.length = 0; });
    path.loss = 1;
    await poll(() => tabs.ana.page.evaluate(() => window.relayedMedia.length > 0), 30000, 'ana to learn ben is reached only through cho');
    assert.deepEqual(await tabs.ana.page.evaluate(() => window.relayedMedia[0]), { peer: 'ben', via: 'cho' });
    assert.equal(await tabs.ana.page.evaluate(() => window.mesh.relayed('ben')), true);
  } finally {
    for (const tab of Object.values(tabs)) await tab.page.close();
    await server.close();
    path.close();
  }
});
