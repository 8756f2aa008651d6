// A crowd joining one room at the same moment, with the signaling server's
// default limits: N members (Node, @roamhq/wrtc) in W child processes
// (tests/support/mesh-worker.mjs; a process holds only so many wrtc
// connections). Reports, every 2 s: pairs negotiated (an offer or answer
// arrived through the server), links open, signaling errors, reconnects, and
// why link attempts failed (e.g. the 15 s connect timeout of the mesh core).
//
//   node bench/join-crowd.mjs [members=32] [workers=8] [seconds=120] [tcp]
// `tcp`: with ICE-TCP candidates (tcpCandidates: true), which wrtc makes
// costly (README, "Many members in one Node process").
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startSignalServer } from '../js/signal/server.js';

const worker = fileURLToPath(new URL('../tests/support/mesh-worker.mjs', import.meta.url));

function sumCounts(list) {
  const sum = {};
  for (const counts of list) for (const [key, n] of Object.entries(counts ?? {})) sum[key] = (sum[key] ?? 0) + n;
  return sum;
}

export async function runJoinCrowd({ members = 32, workers = 8, seconds = 120, tcpCandidates = false, log = console.log } = {}) {
  const server = await startSignalServer();
  const state = [];
  const children = [];
  const started = Date.now();
  const ids = Array.from({ length: members }, (_, i) => `m${String(i).padStart(2, '0')}`);
  const pairs = members * (members - 1);
  const sample = () => {
    const negotiated = state.flatMap((s) => Object.values(s.negotiated ?? {})).reduce((a, b) => a + b, 0);
    return {
      ms: Date.now() - started,
      joined: state.reduce((sum, s) => sum + (s.joined ?? 0), 0),
      negotiated,
      open: state.reduce((sum, s) => sum + (s.open ?? 0), 0),
      signalingErrors: state.reduce((sum, s) => sum + (s.signalingErrors?.length ?? 0), 0),
      reconnects: state.reduce((sum, s) => sum + (s.reconnects ?? 0), 0),
      failures: sumCounts(state.map((s) => s.failures)), // why link attempts failed
      meshErrors: sumCounts(state.map((s) => s.errorCodes)),
      framesIn: server.stats.framesIn,
      load: Number(os.loadavg()[0].toFixed(1)),
    };
  };
  const timeline = [];
  try {
    for (let w = 0; w < workers; w++) {
      const child = fork(worker, [server.url, 'crowd', ...ids.filter((_, i) => i % workers === w)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, RTCMESH_TCP_CANDIDATES: tcpCandidates ? '1' : '0' },
      });
      state[w] = {};
      child.on('message', (message) => Object.assign(state[w], message));
      children.push(child);
    }
    for (let tick = 0; tick < seconds / 2; tick++) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const now = sample();
      timeline.push(now);
      log(JSON.stringify(now));
      if (now.open === pairs) break;
    }
    return { members, workers, pairs, timeline, serverErrors: server.stats.errors };
  } finally {
    for (const child of children) if (child.connected) child.send('close');
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)))));
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [members = 32, workers = 8, seconds = 120] = process.argv.slice(2, 5).map(Number);
  const result = await runJoinCrowd({ members, workers, seconds, tcpCandidates: process.argv[5] === 'tcp' });
  const last = result.timeline.at(-1);
  console.log(`join-crowd: ${members} members: ${last.negotiated}/${result.pairs} pair-sides negotiated, ${last.open}/${result.pairs} links open after ${last.ms} ms; ${last.signalingErrors} signaling errors, ${last.reconnects} reconnects, ${result.serverErrors} server errors, ${Math.round(last.framesIn / members)} frames per member`);
}
