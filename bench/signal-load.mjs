// Load on the signaling server: C clients in R rooms on loopback. Every client
// joins, then sends one signal to every other peer of its room. Counts what
// arrived against what was sent, and the server's memory. Used by the test
// suite (correctness) and by `npm run bench` (figures).
import { RecordingClient } from '../tests/support/ws-client.mjs';
import { startSignalServer } from '../js/signal/server.js';

export async function runSignalLoad({ clients = 200, rooms = 20, timeoutMs = 30000 } = {}) {
  // Every client comes from 127.0.0.1: lift the per-address caps for the load.
  const server = await startSignalServer({ limits: { maxSocketsPerIp: clients + 16, ipJoinBurst: clients + 16 } });
  const perRoom = Math.ceil(clients / rooms);
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const members = [];
  try {
    for (let i = 0; i < clients; i++) {
      members.push({ room: `room-${i % rooms}`, peer: `peer-${i}`, client: await RecordingClient.connect(server.url) });
    }
    await Promise.all(members.map(({ client, room, peer }) => client.join(room, peer)));
    const joinedMs = performance.now() - started;

    let sent = 0;
    for (const from of members) {
      for (const to of members) {
        if (to.room !== from.room || to === from) continue;
        from.client.send({ type: 'signal', to: to.peer, data: { note: `${from.peer}->${to.peer}` } });
        sent++;
      }
    }
    // Every member expects one signal from each other member of its room.
    const deadline = Date.now() + timeoutMs;
    await Promise.all(members.map(async ({ client, room }) => {
      const expected = members.filter((other) => other.room === room).length - 1;
      for (let received = 0; received < expected; received++) {
        await client.next('signal', { timeoutMs: Math.max(1, deadline - Date.now()) });
      }
    }));
    const elapsedMs = performance.now() - started;

    const leaks = members.flatMap(({ client, room }) => client.frames
      .filter((frame) => frame.type === 'signal' || frame.type === 'peer-joined')
      .map((frame) => frame.from ?? frame.peer)
      .filter((peer) => members.find((m) => m.peer === peer).room !== room));
    const received = members.reduce((sum, { client }) => sum + client.frames.filter((f) => f.type === 'signal').length, 0);
    const wrongNote = members.flatMap(({ client, peer }) => client.frames
      .filter((f) => f.type === 'signal' && f.data.note !== `${f.from}->${peer}`));
    return {
      clients, rooms, perRoom, sent, received,
      crossRoomFrames: leaks.length,
      misdelivered: wrongNote.length,
      errors: server.stats.errors,
      joinMs: Math.round(joinedMs),
      totalMs: Math.round(elapsedMs),
      framesPerSecond: Math.round((sent / elapsedMs) * 1000),
      serverHeapGrowthBytes: process.memoryUsage().heapUsed - heapBefore,
    };
  } finally {
    await Promise.all(members.map(({ client }) => client.close()));
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runSignalLoad(), null, 2));
}
