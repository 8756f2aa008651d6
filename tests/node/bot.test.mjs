// The bot member (`rtcmesh-bot`, a real process with @roamhq/wrtc): it keeps
// the room's Raft log and ReplicatedMap while every other member leaves at
// once, and on disk across a kill and restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { RTCMesh, Raft, ReplicatedMap } from 'rtcmesh';
import { startSignalServer } from '../../js/signal/server.js';
import { RTCPeerConnection, withTimeout } from '../support/mesh-bus.mjs';
import { poll } from '../support/wait.mjs';

const fast = { electionMinTimeout: 300, electionMaxTimeout: 600, heartbeatInterval: 50 };
const BOT = new URL('../../bin/rtcmesh-bot.js', import.meta.url).pathname;

/** Runs the bot's command; `lines` collects its JSON lines. */
function runBot(url, room, data) {
  const child = spawn(process.execPath, [BOT, '--signal', url, '--room', room, '--data', data, '--id', 'bot'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const bot = { child, lines: [], exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))) };
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      bot.lines.push(JSON.parse(line));
    } catch {
      bot.lines.push({ text: line });
    }
  });
  return bot;
}

/** A member as a browser tab would be: a mesh, a Raft with no storage, the map. */
async function tab(url, room, id) {
  const mesh = await RTCMesh.join(url, room, { id, WebSocket, RTCPeerConnection, reconnectMinMs: 20, reconnectMaxMs: 100 });
  const raft = new Raft({ mesh, ...fast });
  return { id, mesh, raft, map: new ReplicatedMap(raft) };
}

async function leaveAtOnce(tabs) {
  for (const t of tabs) t.mesh.close(); // no Raft goodbye: as tabs that close
  await Promise.all(tabs.map((t) => withTimeout(t.raft.closed ? Promise.resolve() : t.raft.close(), 5000, 'raft close').catch(() => {})));
}

test('the bot keeps the map while every tab leaves at once, and across a kill and restart', { timeout: 120000 }, async () => {
  const server = await startSignalServer();
  const data = await mkdtemp(join(tmpdir(), 'rtcmesh-bot-'));
  const room = 'kept';
  let bot = runBot(server.url, room, data);
  const tabs = [];
  try {
    await poll(() => bot.lines.some((line) => line.event === 'joined'), 20000, 'the bot to join');
    tabs.push(await tab(server.url, room, 'ana'), await tab(server.url, room, 'ben'));
    // The bot started the cluster (oldest in the room) and keeps the only vote.
    await poll(() => tabs.every((t) => t.raft.leader === 'bot' && t.raft.members.voters.join() === 'bot'
      && t.raft.members.learners.includes(t.id)), 30000, 'the bot to lead with the tabs as learners');
    await withTimeout(tabs[0].map.set('color', 'blue'), 10000, 'a set from a tab');
    await withTimeout(tabs[1].map.set('shape', 'round'), 10000, 'a set from the other tab');

    await leaveAtOnce(tabs.splice(0));
    const cho = await tab(server.url, room, 'cho');
    tabs.push(cho);
    assert.equal(await withTimeout(cho.map.read('color'), 20000, 'a newcomer reading the map'), 'blue');
    assert.equal(cho.map.get('shape'), 'round');
    await withTimeout(cho.map.set('size', 'large'), 10000, 'a set after everyone left');

    // Killed (no goodbye, no Raft close): it comes back from its folder with
    // its id (the resume token it kept) and leads again.
    bot.child.kill('SIGKILL');
    await bot.exited;
    await poll(() => cho.raft.leader === null || cho.raft.sinceLeaderContact > 1000, 10000, 'cho to miss the bot');
    await assert.rejects(withTimeout(cho.map.set('while', 'away'), 2000, 'a set without the bot'), 'no set commits without the keeper');
    bot = runBot(server.url, room, data);
    await poll(() => bot.lines.some((line) => line.event === 'joined'), 20000, 'the restarted bot to join');
    // (cho still names the bot as leader: a learner keeps its leader until told otherwise.)
    await poll(() => bot.lines.some((line) => line.event === 'leader' && line.leader === 'bot'), 30000, 'the restarted bot to lead');
    assert.equal(await withTimeout(cho.map.read('size'), 20000, 'reading after the restart'), 'large');
    assert.deepEqual([...cho.map.keys()].sort(), ['color', 'shape', 'size'].concat(cho.map.has('while') ? ['while'] : []).sort());
    const dan = await tab(server.url, room, 'dan');
    tabs.push(dan);
    assert.equal(await withTimeout(dan.map.read('color'), 20000, 'a newcomer reading after the restart'), 'blue');

    // Stopped on purpose, it hands the lead to a tab first: the tabs carry on.
    bot.child.kill('SIGTERM');
    assert.deepEqual(await withTimeout(bot.exited, 20000, 'the bot to stop'), { code: 0, signal: null });
    await poll(() => ['cho', 'dan'].includes(cho.raft.leader) && cho.raft.leader === dan.raft.leader, 20000, 'a tab to lead');
    await withTimeout(dan.map.set('after', 'bot'), 10000, 'a set after the bot stopped');
    assert.equal(await withTimeout(cho.map.read('after'), 10000, 'the other tab reading it'), 'bot');
  } catch (error) {
    error.message += `\nthe bot said:\n${bot.lines.map((line) => JSON.stringify(line)).join('\n')}`;
    throw error;
  } finally {
    if (bot.child.exitCode === null && bot.child.signalCode === null) bot.child.kill('SIGKILL');
    await leaveAtOnce(tabs);
    await server.close();
    await rm(data, { recursive: true, force: true });
  }
});
