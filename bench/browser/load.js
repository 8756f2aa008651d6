// Page side of the load benchmark (bench/load.mjs): nodes that each broadcast
// small messages at a fixed rate to every other node, over RTCMesh or over
// raw RTCDataChannels doing the same full mesh, and record what arrives.
//
// Two shapes: one node per tab (joinTab: the nodes meet through the
// signaling server, RTCMesh.join or a minimal raw client on SignalClient),
// or many nodes in this page (formInPage: they signal each other directly).
// Every message carries its sender, sequence number and send time; pages share
// the machine's clock through performance.timeOrigin + performance.now(), so
// one-way latency is the receiver's clock minus the stamp.
import { RTCMesh, SignalClient } from '/js/index.js';
import { connectPair } from './raw-webrtc.js';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- what a node records ----------------------------------------------------

// Latencies and send lags go into histograms of 1% wide buckets from 0.01 ms
// to about 4 minutes (bucket i holds values up to 0.01 ms × 1.01^i), so that
// a page can report everything it saw in a few kB at any moment.
const BUCKETS = 1900;
const BASE_MS = 0.01;
const LOG_STEP = Math.log(1.01);
const bucketOf = (ms) => (ms <= BASE_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / BASE_MS) / LOG_STEP)));

function sparse(histogram) {
  const pairs = [];
  for (let i = 0; i < histogram.length; i++) if (histogram[i]) pairs.push(i, histogram[i]);
  return pairs;
}

class Recorder {
  constructor() {
    this.reset({ senders: 0, count: 0, deadline: 0 });
  }

  reset({ senders, count, deadline }) {
    this.count = count;
    this.deadline = deadline; // arrivals after it (a now() time) are late, not delivered
    this.seen = new Map(); // sender index -> Uint8Array of sequence numbers seen
    this.expected = senders * count;
    this.received = 0;
    this.late = 0;
    this.duplicates = 0;
    this.latencies = new Uint32Array(BUCKETS);
    this.onComplete = null;
  }

  receive(data) {
    if (this.count === 0) return; // before or after a run
    const view = ArrayBuffer.isView(data) ? new DataView(data.buffer, data.byteOffset, data.byteLength) : new DataView(data);
    if (view.byteLength < 16) return;
    const arrived = now();
    if (arrived > this.deadline) {
      this.late++;
      progress(); // the first event past the deadline sends the final report
      return;
    }
    const sender = view.getUint32(0);
    const seq = view.getUint32(4);
    if (seq >= this.count) return;
    let seen = this.seen.get(sender);
    if (!seen) this.seen.set(sender, (seen = new Uint8Array(this.count)));
    if (seen[seq]) {
      this.duplicates++;
      return;
    }
    seen[seq] = 1;
    this.received++;
    this.latencies[bucketOf(arrived - view.getFloat64(8))]++;
    if (this.received >= this.expected) this.onComplete?.();
    progress();
  }

  /** Resolves when everything expected has arrived or at the deadline, whichever is first. */
  settle() {
    if (this.received >= this.expected) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, this.deadline - now()));
      this.onComplete = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function message(bytes, index, seq) {
  const buffer = new ArrayBuffer(bytes);
  const view = new DataView(buffer);
  view.setUint32(0, index);
  view.setUint32(4, seq);
  view.setFloat64(8, now());
  return buffer;
}

// The run in progress in this page: its nodes (each with `recorder` and
// `sending`) and when it ends. A page whose main thread is swamped may not
// get to return from runTab / runInPage for a long time, so it also reports
// its figures as it goes, through the binding the driver exposes
// (rtcmeshLoadReport): at most every 250 ms from the message and send paths,
// and once more when the run ends. Those calls leave the page at once, even
// from inside a long task; the driver keeps the last one.
let current = null;

function snapshot(final) {
  return {
    final,
    at: now(),
    nodes: current.nodes.map(({ index, recorder, sending }) => ({
      index,
      sent: sending.sent,
      sendFailures: sending.failures,
      lastSendError: sending.lastError,
      sendLags: sparse(sending.lags),
      expected: recorder.expected,
      received: recorder.received,
      late: recorder.late,
      duplicates: recorder.duplicates,
      latencies: sparse(recorder.latencies),
    })),
  };
}

function report(final) {
  const send = globalThis.rtcmeshLoadReport;
  if (typeof send !== 'function') return;
  Promise.resolve(send(JSON.stringify(snapshot(final)))).catch(() => {});
}

/** Called on every arrival and send: reports now and then, and once at the end. */
function progress() {
  if (!current || current.finalReported) return;
  const t = now();
  if (t > current.deadline) {
    current.finalReported = true;
    report(true);
  } else if (t - current.lastReport >= 250) {
    current.lastReport = t;
    report(false);
  }
}

/**
 * Sends `count` messages, message `seq` due at startAt + seq * intervalMs.
 * A late timer sends every message that is due at once, so the rate holds
 * on average; it ends after `count` sends whatever happens (a send that
 * throws is counted, not retried). Records how late each send was.
 */
async function sendLoad({ index, broadcast, sending, count, intervalMs, bytes, startAt }) {
  for (let seq = 0; seq < count;) {
    const due = Math.min(count, Math.floor((now() - startAt) / intervalMs) + 1);
    for (; seq < due; seq++) {
      sending.lags[bucketOf(now() - (startAt + seq * intervalMs))]++;
      sending.sent++;
      try {
        broadcast(message(bytes, index, seq));
      } catch (error) {
        sending.failures++;
        sending.lastError = String(error?.message ?? error);
      }
    }
    progress();
    if (seq < count) await sleep(Math.max(0, startAt + seq * intervalMs - now()));
  }
}

/**
 * Runs the load on `nodes` of this page, each hearing `senders` others.
 * Ends when every node has everything or at the deadline (drainMs after the
 * last scheduled send); resolves to the final snapshot.
 */
async function load(nodes, { senders, count, intervalMs, bytes, startAt, drainMs }) {
  const deadline = startAt + count * intervalMs + drainMs;
  current = { nodes, deadline, lastReport: 0, finalReported: false };
  for (const node of nodes) {
    node.recorder.reset({ senders, count, deadline });
    node.sending = { sent: 0, failures: 0, lastError: null, lags: new Uint32Array(BUCKETS) };
  }
  try {
    await Promise.all(nodes.map((node) => sendLoad({ index: node.index, broadcast: node.broadcast, sending: node.sending, count, intervalMs, bytes, startAt })));
    await Promise.all(nodes.map((node) => node.recorder.settle()));
    const final = snapshot(true);
    if (!current.finalReported) {
      current.finalReported = true;
      report(true);
    }
    return final;
  } finally {
    for (const node of nodes) node.recorder.reset({ senders: 0, count: 0, deadline: 0 });
    current = null;
  }
}

// Links the page's meshes took down and re-made ('failed'), by reason: a
// loaded page should not add the cost of new connections to its load.
const failures = new Map();
function countFailures(mesh) {
  mesh.addEventListener('failed', ({ detail }) => {
    const reason = detail.reason.replace(/[0-9]+/g, 'N').replace(/node-N/g, 'a peer');
    failures.set(reason, (failures.get(reason) ?? 0) + 1);
  });
}

/** The 'failed' events so far, as { reason: count }. */
export function linkFailures() {
  return Object.fromEntries(failures);
}

// ---- one node per tab ---------------------------------------------------------

let tab = null; // { index, kind, broadcast, recorder, openLinks(), close(), mesh (rtcmesh only) }

/**
 * Joins `room` as node `index` ("rtcmesh" or "raw"; rtcmesh with `secret`
 * joins a room with that secret); resolves once in the room (links open later).
 */
export async function joinTab({ kind, url, room, index, secret }) {
  if (tab) throw new Error('this tab already joined');
  const id = `node-${String(index).padStart(2, '0')}`;
  const recorder = new Recorder();
  if (kind === 'rtcmesh') {
    const mesh = await RTCMesh.join(url, room, { id, ...(secret ? { secret } : {}) });
    mesh.addEventListener('message', ({ data }) => recorder.receive(data));
    countFailures(mesh);
    tab = {
      index,
      kind,
      recorder,
      broadcast: (data) => mesh.broadcast(data),
      openLinks: () => mesh.peers.filter((peer) => mesh.readyState(peer) === 'open').length,
      close: () => mesh.close(),
      mesh,
    };
  } else {
    tab = { index, kind, recorder, ...(await rawNode(url, room, id, recorder)) };
  }
  return { id };
}

export function tabOpenLinks() {
  return tab?.openLinks() ?? 0;
}

/**
 * When this tab had `want` open links (the shared clock: timeOrigin + now);
 * null if not within `timeoutMs`. An rtcmesh tab is checked at each of its
 * mesh's addchannel events (the moment a link opens); polling every 2 ms in
 * each of 8 tabs took a tenth of a tab's CPU from the formation it timed.
 * A raw tab is polled every 2 ms.
 */
export async function tabLinksOpenAt({ want, timeoutMs }) {
  const mesh = tab?.mesh;
  if (!mesh) {
    const deadline = now() + timeoutMs;
    while (tabOpenLinks() < want) {
      if (now() > deadline) return null;
      await sleep(2);
    }
    return now();
  }
  return new Promise((resolve) => {
    const done = (at) => {
      clearTimeout(timer);
      mesh.removeEventListener('addchannel', check);
      resolve(at);
    };
    const check = () => tabOpenLinks() >= want && done(now());
    const timer = setTimeout(() => done(null), timeoutMs);
    mesh.addEventListener('addchannel', check);
    check();
  });
}

export function runTab(options) {
  return load([tab], options);
}

export function closeTab() {
  tab?.close();
  tab = null;
}

/**
 * A minimal full mesh of raw channels through the same signaling server:
 * one RTCPeerConnection and one negotiated-by-offer data channel per peer,
 * the smaller id offering, trickle ICE. What an app without rtcmesh writes.
 * `onGone(peer)` hears the first sign that a peer went: its channel closed,
 * or its connection went disconnected, failed or closed.
 */
export async function rawNode(url, room, id, recorder, { onGone = () => {} } = {}) {
  const signaling = new SignalClient(url, room, id);
  const present = await signaling.ready({ timeoutMs: 10000 });
  const links = new Map(); // peer -> { pc, channel, candidates, chain }
  const openChannel = (channel, peer) => {
    channel.binaryType = 'arraybuffer';
    channel.onmessage = ({ data }) => recorder.receive(data);
    channel.onclose = () => onGone(peer);
  };
  const link = (peer) => {
    let entry = links.get(peer);
    if (entry) return entry;
    const pc = new RTCPeerConnection();
    entry = { pc, channel: null, candidates: [], chain: Promise.resolve() };
    links.set(peer, entry);
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) signaling.signal(peer, { kind: 'candidate', candidate: candidate.toJSON() });
    };
    pc.onconnectionstatechange = () => {
      if (['disconnected', 'failed', 'closed'].includes(pc.connectionState)) onGone(peer);
    };
    if (id < peer) {
      entry.channel = pc.createDataChannel('load');
      openChannel(entry.channel, peer);
      entry.chain = entry.chain.then(async () => {
        await pc.setLocalDescription();
        signaling.signal(peer, { kind: 'offer', sdp: pc.localDescription.toJSON() });
      });
    } else {
      pc.ondatachannel = ({ channel }) => {
        entry.channel = channel;
        openChannel(channel, peer);
      };
    }
    return entry;
  };
  const remoteSet = async (entry, description) => {
    await entry.pc.setRemoteDescription(description);
    for (const candidate of entry.candidates.splice(0)) await entry.pc.addIceCandidate(candidate);
  };
  signaling.addEventListener('signal', ({ detail: { from, data } }) => {
    const entry = link(from);
    entry.chain = entry.chain.then(async () => {
      if (data.kind === 'offer') {
        await remoteSet(entry, data.sdp);
        await entry.pc.setLocalDescription();
        signaling.signal(from, { kind: 'answer', sdp: entry.pc.localDescription.toJSON() });
      } else if (data.kind === 'answer') {
        await remoteSet(entry, data.sdp);
      } else if (data.kind === 'candidate') {
        if (entry.pc.remoteDescription) await entry.pc.addIceCandidate(data.candidate);
        else entry.candidates.push(data.candidate);
      }
    }).catch((error) => console.error(`raw link to ${from}: ${error.message}`));
  });
  signaling.addEventListener('peerjoined', ({ detail: { peer } }) => link(peer));
  for (const peer of present) link(peer);
  const open = () => [...links.values()].filter((entry) => entry.channel?.readyState === 'open');
  return {
    broadcast: (data) => {
      for (const { channel } of open()) channel.send(data);
    },
    openLinks: () => open().length,
    close: () => {
      signaling.close();
      for (const { pc } of links.values()) pc.close();
    },
  };
}

// ---- many nodes in this page ---------------------------------------------------

let inPage = null; // { nodes, close() }

/** Forms `n` nodes in this page ("rtcmesh": n RTCMesh; "raw": a channel per pair); resolves when all links are open or at `timeoutMs`. */
export async function formInPage({ kind, n, timeoutMs = 60000 }) {
  if (inPage) throw new Error('this page already holds nodes');
  const started = performance.now();
  const nodes = Array.from({ length: n }, (_, index) => ({ index, recorder: new Recorder() }));
  if (kind === 'rtcmesh') {
    const ids = nodes.map(({ index }) => `node-${String(index).padStart(2, '0')}`);
    const meshes = new Map();
    for (const node of nodes) {
      const id = ids[node.index];
      const mesh = new RTCMesh({ id, peers: ids });
      meshes.set(id, mesh);
      const to = (peer) => meshes.get(peer);
      mesh.addEventListener('offer', ({ detail }) => to(detail.peer).createAnswer(id, detail.sdp));
      mesh.addEventListener('answer', ({ detail }) => to(detail.peer).addAnswer(id, detail.sdp));
      mesh.addEventListener('icecandidate', ({ detail }) => to(detail.peer).addIceCandidate(id, detail.candidate));
      mesh.addEventListener('message', ({ data }) => node.recorder.receive(data));
      countFailures(mesh);
      node.broadcast = (data) => mesh.broadcast(data);
      node.openLinks = () => mesh.peers.filter((peer) => mesh.readyState(peer) === 'open').length;
    }
    inPage = { nodes, close: () => meshes.forEach((mesh) => mesh.close()) };
  } else {
    const channels = nodes.map(() => []);
    const pairs = [];
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        pairs.push(connectPair({ label: `${i}-${j}` }).then((pair) => {
          channels[i].push(pair.sender);
          channels[j].push(pair.receiver);
          pair.sender.onmessage = ({ data }) => nodes[i].recorder.receive(data);
          pair.receiver.onmessage = ({ data }) => nodes[j].recorder.receive(data);
          return pair;
        }));
      }
    }
    for (const node of nodes) {
      node.broadcast = (data) => {
        for (const channel of channels[node.index]) if (channel.readyState === 'open') channel.send(data);
      };
      node.openLinks = () => channels[node.index].filter((channel) => channel.readyState === 'open').length;
    }
    const settled = [];
    pairs.forEach((pair) => pair.then((p) => settled.push(p), () => {}));
    inPage = { nodes, close: () => settled.forEach((pair) => pair.close()) };
  }
  const links = () => nodes.reduce((sum, node) => sum + node.openLinks(), 0);
  const want = n * (n - 1);
  while (links() < want && performance.now() - started < timeoutMs) await sleep(10);
  return { nodes: n, linkSides: links(), wanted: want, ms: performance.now() - started };
}

export function runInPage(options) {
  return load(inPage.nodes, { ...options, senders: inPage.nodes.length - 1 });
}

export function closeInPage() {
  inPage?.close();
  inPage = null;
}
