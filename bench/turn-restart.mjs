// Recovery after the TURN server restarts under a relay-only mesh (issue #18),
// in Node with @roamhq/wrtc and a throwaway coturn on loopback
// (tests/support/coturn.mjs). Two meshes of three members run side by side on
// the same coturn, with credentials minted from its shared secret:
//   - rtcmesh: RTCMesh.join on a local signaling server that mints them
//     (`turn` option), iceTransportPolicy 'relay', default recovery options;
//   - raw: one RTCPeerConnection pair per pair of members, relay-only, the
//     same kind of credentials, and what a typical app does to recover: the
//     offering side calls restartIce() whenever its connection goes
//     disconnected or failed (and renegotiates on negotiationneeded).
// Every member sends a numbered, timestamped message to every other one every
// 100 ms. Once every member hears every other one in both meshes, coturn is
// killed (SIGKILL: its allocations are gone), kept down for `downMs`, and
// started again on the same port with the same secret (each downtime in turn).
// Measured, on the one clock of this process:
//   - while it is down, from the kill: until every end of every link saw it
//     go (rtcmesh `disconnected`, raw connectionState disconnected or failed),
//     until every end took it down (rtcmesh `removechannel`, raw `failed`),
//     and when the last message arrived;
//   - from the moment the restarted coturn answers STUN: until every member
//     has received a message sent after that moment from every other member,
//     and until every link is reported open again (every end's connection
//     connected and its channel open), bounded by `recoveryTimeoutMs`.
//
//   node bench/turn-restart.mjs [runs=3] [downtimes in ms=10000,30000]
import WebSocket from 'ws';
import wrtc from '@roamhq/wrtc';
import { RTCMesh } from 'rtcmesh';
import { startSignalServer } from '../js/signal/server.js';
import { mintTurnCredentials, resolveTurnOptions } from '../js/signal/turn.js';
import { skipWithoutCoturn, startCoturn } from '../tests/support/coturn.mjs';

const IDS = ['ana', 'ben', 'cho'];
const RAW_IDS = ['raw-a', 'raw-b', 'raw-c'];
const SEND_EVERY_MS = 100;
const FORM_TIMEOUT_MS = 30000;
const POLL_MS = 20;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const clock = () => performance.now();
const median = (values) => {
  const known = values.filter((v) => v !== null);
  if (known.length < values.length / 2) return null; // most runs did not get there
  const all = [...values].sort((a, b) => (a ?? Infinity) - (b ?? Infinity));
  return all[Math.floor(values.length / 2)];
};

async function until(check, timeoutMs, what) {
  const deadline = clock() + timeoutMs;
  while (!check()) {
    if (clock() > deadline) throw new Error(`turn-restart bench: ${what} within ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

/** Who heard whom when, for one mesh of three: the last arrival and the first message sent after `freshSince`. */
class Hearing {
  last = new Map(); // 'to<from' -> arrival time
  fresh = new Map(); // 'to<from' -> arrival time of the first message sent at or after freshSince
  freshSince = Infinity;

  constructor(ids) {
    this.pairs = ids.flatMap((to) => ids.filter((from) => from !== to).map((from) => `${to}<${from}`));
  }

  heard(to, from, sentAt) {
    const key = `${to}<${from}`;
    const at = clock();
    this.last.set(key, at);
    if (sentAt >= this.freshSince && !this.fresh.has(key)) this.fresh.set(key, at);
  }

  everyPairHeard() { return this.pairs.every((key) => this.last.has(key)); }
  everyPairFresh() { return this.pairs.every((key) => this.fresh.has(key)); }
  lastArrival() { return Math.max(...this.pairs.map((key) => this.last.get(key) ?? -Infinity)); }
}

const message = (from, seq) => `${from}|${seq}|${clock()}`;
const parse = (text) => {
  const [from, , sentAt] = String(text).split('|');
  return { from, sentAt: Number(sentAt) };
};

/** rtcmesh's three members, with the connections each one's core made. */
async function startRtcmesh(signal, room, hearing, record) {
  const members = [];
  for (const id of IDS) {
    const connections = []; // { pc, closed }
    function Tracked(configuration) {
      const pc = new wrtc.RTCPeerConnection(configuration);
      const entry = { pc, closed: false };
      const close = pc.close.bind(pc);
      pc.close = () => { entry.closed = true; close(); }; // never read a closed one again
      connections.push(entry);
      return pc;
    }
    const mesh = await RTCMesh.join(signal.url, room, { id, WebSocket, RTCPeerConnection: Tracked, iceTransportPolicy: 'relay' });
    mesh.addEventListener('message', ({ origin, data }) => hearing.heard(id, origin, parse(data).sentAt));
    for (const type of ['disconnected', 'failed', 'removechannel', 'addchannel', 'reconnecting', 'icerestart', 'relay']) {
      mesh.addEventListener(type, ({ detail }) => record({ who: id, type, peer: detail?.peer, text: detail?.reason ?? detail?.attempt ?? detail?.via }));
    }
    mesh.addEventListener('error', ({ detail }) => record({ who: id, type: `error ${detail?.code}`, peer: detail?.peer, text: detail?.message }));
    members.push({ id, mesh, connections });
  }
  let seq = 0;
  const timer = setInterval(() => {
    seq++;
    for (const { id, mesh } of members) if (!mesh.closed) mesh.broadcast(message(id, seq));
  }, SEND_EVERY_MS);
  const linksOpen = () => members.every(({ mesh, connections }) => {
    for (let i = connections.length - 1; i >= 0; i--) if (connections[i].closed) connections.splice(i, 1);
    const connected = connections.filter((c) => c.pc.connectionState === 'connected').length;
    return connected >= IDS.length - 1 && IDS.every((other) => other === mesh.id || mesh.readyState(other) === 'open');
  });
  return {
    linksOpen,
    close() {
      clearInterval(timer);
      for (const { mesh } of members) mesh.close();
    },
  };
}

/**
 * Raw RTCPeerConnections, one pair per pair of members, signaled in process.
 * The lower id offers; it restarts ICE whenever its connection goes
 * disconnected or failed, as a typical app does.
 */
function startRaw(iceServersOf, hearing, record) {
  let closed = false;
  const ends = new Map(); // `${me}>${peer}` -> { pc, channel, state }
  const pairs = [];
  let restarts = 0;
  const makeEnd = (me, peer) => {
    const pc = new wrtc.RTCPeerConnection({ iceServers: iceServersOf(me), iceTransportPolicy: 'relay' });
    const channel = pc.createDataChannel('raw', { negotiated: true, id: 0, ordered: true });
    const end = { me, peer, pc, channel, state: 'new', pending: [] };
    channel.onmessage = ({ data }) => { if (!closed) hearing.heard(me, peer, parse(data).sentAt); };
    channel.onclose = () => { if (!closed) record({ who: me, type: 'channel closed', peer }); };
    ends.set(`${me}>${peer}`, end);
    return end;
  };
  for (let i = 0; i < RAW_IDS.length; i++) {
    for (let j = i + 1; j < RAW_IDS.length; j++) {
      const offerer = makeEnd(RAW_IDS[i], RAW_IDS[j]);
      const answerer = makeEnd(RAW_IDS[j], RAW_IDS[i]);
      const pair = { offerer, answerer, negotiating: false, again: false };
      pairs.push(pair);
      const deliver = (to, candidate) => {
        if (closed) return;
        if (pair.negotiating) to.pending.push(candidate);
        else to.pc.addIceCandidate(candidate).catch(() => {});
      };
      offerer.pc.onicecandidate = ({ candidate }) => { if (candidate) setImmediate(() => deliver(answerer, candidate)); };
      answerer.pc.onicecandidate = ({ candidate }) => { if (candidate) setImmediate(() => deliver(offerer, candidate)); };
      const negotiate = async () => {
        if (pair.negotiating) { pair.again = true; return; }
        pair.negotiating = true;
        try {
          do {
            pair.again = false;
            const offer = await offerer.pc.createOffer(); // after restartIce(): new ICE credentials
            if (closed) return;
            await offerer.pc.setLocalDescription(offer);
            if (closed) return;
            await answerer.pc.setRemoteDescription(offer);
            if (closed) return;
            const answer = await answerer.pc.createAnswer();
            if (closed) return;
            await answerer.pc.setLocalDescription(answer);
            if (closed) return;
            await offerer.pc.setRemoteDescription(answer);
          } while (pair.again && !closed);
        } catch (error) {
          if (!closed) record({ who: offerer.me, type: 'negotiation failed', peer: answerer.me, text: error.message });
        } finally {
          pair.negotiating = false;
        }
        if (closed) return;
        for (const end of [offerer, answerer]) for (const candidate of end.pending.splice(0)) end.pc.addIceCandidate(candidate).catch(() => {});
      };
      offerer.pc.onnegotiationneeded = () => { if (!closed) negotiate(); };
      for (const end of [offerer, answerer]) {
        end.pc.onconnectionstatechange = () => {
          if (closed) return;
          end.state = end.pc.connectionState;
          record({ who: end.me, type: end.state, peer: end.peer });
          if (end === offerer && (end.state === 'disconnected' || end.state === 'failed')) {
            restarts++;
            end.pc.restartIce();
          }
        };
      }
    }
  }
  let seq = 0;
  const timer = setInterval(() => {
    seq++;
    for (const end of ends.values()) {
      if (end.channel.readyState !== 'open') continue;
      try { end.channel.send(message(end.me, seq)); } catch { /* the channel went meanwhile */ }
    }
  }, SEND_EVERY_MS);
  return {
    restarts: () => restarts,
    // Read from the connections (still open: only close() closes them), not from the events seen.
    linksOpen: () => [...ends.values()].every((end) => end.pc.connectionState === 'connected' && end.channel.readyState === 'open'),
    close() {
      clearInterval(timer);
      closed = true;
      for (const end of ends.values()) {
        end.pc.onconnectionstatechange = end.pc.onicecandidate = end.pc.onnegotiationneeded = null;
        end.channel.onmessage = end.channel.onclose = null;
        end.pc.close();
      }
    },
  };
}

/** From `since`: when every one of `ends` had an event of one of `types` (null: not all before `before`). */
function allEnds(events, ends, types, since, before) {
  let latest = -Infinity;
  for (const end of ends) {
    const first = events.find((e) => `${e.who}>${e.peer}` === end && types.includes(e.type) && e.at >= since && e.at < before);
    if (!first) return null;
    latest = Math.max(latest, first.at);
  }
  return latest - since;
}

async function once(run, { downMs, recoveryTimeoutMs, log }) {
  const secret = `turn-restart-${run}`;
  let turn = await startCoturn({ secret });
  const signal = await startSignalServer({ turn: { urls: [turn.url], secret } });
  const minting = resolveTurnOptions({ urls: [turn.url], secret });
  const events = { rtcmesh: [], raw: [] };
  const t0 = clock();
  const recorder = (kind) => (event) => {
    const entry = { at: clock(), ...event };
    events[kind].push(entry);
    log(`  ${(entry.at - t0).toFixed(0).padStart(6)} ms ${kind} ${event.who} ${event.type}${event.peer ? ` ${event.peer}` : ''}${event.text ? ` (${String(event.text).slice(0, 80)})` : ''}`);
  };
  const hearing = { rtcmesh: new Hearing(IDS), raw: new Hearing(RAW_IDS) };
  let mesh;
  let raw;
  try {
    mesh = await startRtcmesh(signal, `turn-restart-${run}`, hearing.rtcmesh, recorder('rtcmesh'));
    raw = startRaw((id) => [mintTurnCredentials(minting, id)], hearing.raw, recorder('raw'));
    await until(() => mesh.linksOpen() && raw.linksOpen() && hearing.rtcmesh.everyPairHeard() && hearing.raw.everyPairHeard(),
      FORM_TIMEOUT_MS, 'both relay-only meshes to form and carry messages on every link');
    await sleep(2000);
    const meshRestartsBefore = events.rtcmesh.filter((e) => e.type === 'icerestart').length;
    const rawRestartsBefore = raw.restarts();

    const killedAt = clock();
    log(`  ${(killedAt - t0).toFixed(0).padStart(6)} ms coturn killed`);
    await turn.stop();
    await sleep(Math.max(0, killedAt + downMs - clock()));
    const startingAt = clock();
    turn = await startCoturn({ secret, port: turn.port });
    const upAt = clock();
    log(`  ${(upAt - t0).toFixed(0).padStart(6)} ms coturn answers again (started ${(upAt - startingAt).toFixed(0)} ms before)`);
    for (const h of Object.values(hearing)) h.freshSince = upAt;
    const lastBefore = { rtcmesh: hearing.rtcmesh.lastArrival(), raw: hearing.raw.lastArrival() };

    // Until both have recovered, or the bound.
    const up = { rtcmesh: { messagesMs: null, linksMs: null }, raw: { messagesMs: null, linksMs: null } };
    const systems = { rtcmesh: mesh, raw };
    const allocations = new Map(); // username id -> ms after upAt of coturn's first allocation for it
    const deadline = upAt + recoveryTimeoutMs;
    for (;;) {
      const now = clock();
      for (const [kind, system] of Object.entries(systems)) {
        if (up[kind].messagesMs === null && hearing[kind].everyPairFresh()) up[kind].messagesMs = Math.max(...hearing[kind].fresh.values()) - upAt;
        if (up[kind].linksMs === null && system.linksOpen()) up[kind].linksMs = now - upAt;
      }
      for (const id of [...IDS, ...RAW_IDS]) {
        if (!allocations.has(id) && new RegExp(`username=<\\d+:${id}>`).test(turn.output())) allocations.set(id, now - upAt);
      }
      const done = Object.values(up).every((u) => u.messagesMs !== null && u.linksMs !== null);
      if (done || now > deadline) break;
      await sleep(POLL_MS);
    }
    const ends = (ids) => ids.flatMap((me) => ids.filter((p) => p !== me).map((p) => `${me}>${p}`));
    const result = {
      rtcmesh: {
        down: {
          noticedMs: allEnds(events.rtcmesh, ends(IDS), ['disconnected', 'removechannel', 'failed'], killedAt, upAt),
          takenDownMs: allEnds(events.rtcmesh, ends(IDS), ['removechannel'], killedAt, upAt),
          lastMessageMs: Math.max(0, lastBefore.rtcmesh - killedAt),
          iceRestarts: events.rtcmesh.filter((e) => e.type === 'icerestart' && e.at >= killedAt && e.at < upAt).length,
          reconnects: events.rtcmesh.filter((e) => e.type === 'reconnecting' && e.at >= killedAt && e.at < upAt).length,
        },
        up: up.rtcmesh,
        iceRestartsAfter: events.rtcmesh.filter((e) => e.type === 'icerestart' && e.at >= upAt).length,
        reconnectsAfter: events.rtcmesh.filter((e) => e.type === 'reconnecting' && e.at >= upAt).length,
        gaveUp: events.rtcmesh.filter((e) => e.type === 'error gave_up').length,
        restartsBefore: meshRestartsBefore,
      },
      raw: {
        down: {
          noticedMs: allEnds(events.raw, ends(RAW_IDS), ['disconnected', 'failed'], killedAt, upAt),
          takenDownMs: allEnds(events.raw, ends(RAW_IDS), ['failed'], killedAt, upAt),
          lastMessageMs: Math.max(0, lastBefore.raw - killedAt),
          iceRestarts: raw.restarts() - rawRestartsBefore,
        },
        up: up.raw,
        channelsClosed: events.raw.filter((e) => e.type === 'channel closed').length,
      },
      allocationsMs: Object.fromEntries(allocations),
      // Per member and sender: the first message sent after the restart, ms after it.
      freshMs: Object.fromEntries(Object.entries(hearing).map(([kind, h]) => [kind, Object.fromEntries([...h.fresh].map(([key, at]) => [key, Math.round(at - upAt)]))])),
    };
    return result;
  } finally {
    raw?.close();
    mesh?.close();
    await sleep(500); // let wrtc's threads settle before the server and coturn go
    await signal.close();
    await turn.stop();
  }
}

/** `runs` runs for each downtime in `downs` (ms), taking turns; medians per downtime. */
export async function runTurnRestartBenchmarks({ runs = 3, downs = [10000, 30000], recoveryTimeoutMs = 90000, log = () => {} } = {}) {
  if (skipWithoutCoturn) throw new Error(`turn-restart bench: ${skipWithoutCoturn}`);
  const samples = new Map(downs.map((downMs) => [downMs, []]));
  for (let run = 0; run < runs; run++) {
    for (const downMs of downs) {
      log(`turn restart, run ${run + 1} of ${runs}, coturn down ${downMs} ms`);
      samples.get(downMs).push(await once(`${run}-${downMs}`, { downMs, recoveryTimeoutMs, log }));
      log(JSON.stringify(samples.get(downMs).at(-1)));
    }
  }
  const byDowntime = downs.map((downMs) => {
    const mine = samples.get(downMs);
    const summary = {};
    for (const kind of ['rtcmesh', 'raw']) {
      summary[kind] = {};
      for (const path of ['down.noticedMs', 'down.takenDownMs', 'down.lastMessageMs', 'up.linksMs', 'up.messagesMs']) {
        const values = mine.map((s) => path.split('.').reduce((o, k) => o?.[k], s[kind]) ?? null);
        summary[kind][path] = { median: median(values), samples: values };
      }
    }
    return { downMs, summary, samples: mine };
  });
  return { runs, recoveryTimeoutMs, byDowntime };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runTurnRestartBenchmarks({
    runs: Number(process.argv[2] ?? 3),
    downs: process.argv[3] ? process.argv[3].split(',').map(Number) : undefined,
    log: (line) => console.error(line),
  });
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
