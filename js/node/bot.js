// A bot member: a Node process that joins a room and stays, keeping the
// room's Raft log (and the ReplicatedMap on it) on disk, so the state lives
// on when every browser has left and comes back after the bot restarts.
//
//   const bot = await startBot({ signal: 'ws://127.0.0.1:8787', room: 'lobby', data: './lobby-bot',
//                                RTCPeerConnection: wrtc.RTCPeerConnection });
//   bot.map.get('topic');
//   await bot.close();
//
// The bot is a Raft keeper (Config::keeper in the core): while it leads it is
// the only voter and the browsers are learners, so any number of tabs may
// close at once. The cluster is then available exactly when the bot is: a bot
// that is stopped (SIGTERM, close()) first promotes a browser and hands it
// the lead; a bot that is killed is missed until it restarts from `data`.
// Its id is kept in `data` too, so a restarted bot is the same member, and
// so is the server's resume token, so that it gets that id back at once.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import WebSocket from 'ws';
import './wasm-binary.js';
import { Raft, ReplicatedMap, RTCMesh } from '../async.js'; // no top-level await: require('rtcmesh/async') works
import { openFileStorage } from './file-storage.js';

// Join failures that heal by themselves: the server is restarting, or holds
// this id for a previous run of the bot that died (its resume grace).
const RETRYABLE = new Set(['unreachable', 'id-taken', 'timeout']);
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 8000;

async function persistentId(data, wanted) {
  const path = join(data, 'id');
  const stored = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (wanted && stored && wanted !== stored) {
    throw Object.assign(new Error(`startBot: ${data} belongs to member "${stored}", not "${wanted}"`), { code: 'bad_argument' });
  }
  const id = stored || wanted || `bot-${randomUUID().slice(0, 8)}`;
  if (!stored) await writeFile(path, `${id}\n`);
  return id;
}

// The signaling server's resume token, kept so that a bot restarted after a
// crash takes its id back at once instead of waiting out the grace period.
async function readResumeToken(data) {
  return (await readFile(join(data, 'resume'), 'utf8').catch(() => '')).trim() || undefined;
}

function keepResumeToken(data, signaling, log) {
  let kept = null;
  const keep = () => {
    if (!signaling.token || signaling.token === kept) return;
    kept = signaling.token;
    writeFile(join(data, 'resume'), `${kept}\n`, { mode: 0o600 }).catch((error) =>
      log({ event: 'error', code: 'storage', message: `could not keep the resume token: ${error.message}` }));
  };
  keep();
  signaling.addEventListener('open', keep);
}

async function joinWithRetries(options, log) {
  const deadline = Date.now() + options.joinDeadlineMs;
  for (let delay = RETRY_MIN_MS; ; delay = Math.min(2 * delay, RETRY_MAX_MS)) {
    try {
      return await RTCMesh.join(options.signal, options.room, options.meshOptions);
    } catch (error) {
      if (!RETRYABLE.has(error.code) || Date.now() + delay > deadline) throw error;
      log({ event: 'join-retry', code: error.code, message: error.message, inMs: delay });
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

// What the demo page's members tell each other once a second (web/demo:
// their links, and their Raft state), so the demo draws the bot like any
// member. `seen` holds what only the storage sees: the vote and the log's end.
function demoStatus(mesh, raft, seen) {
  const linkState = (peer) => {
    const state = mesh.readyState(peer);
    if (state === 'open') return 'open';
    if (mesh.relayed(peer)) return 'relayed';
    return state === 'closed' ? 'failed' : 'connecting';
  };
  const { voters, learners } = raft.members;
  return [
    { t: 'links', links: Object.fromEntries(mesh.peers.map((peer) => [peer, linkState(peer)])) },
    {
      t: 'raft', role: raft.role, voter: voters.includes(mesh.id) ? true : learners.includes(mesh.id) ? false : null,
      term: raft.term, vote: seen.vote, log: seen.log, commit: raft.commitIndex, applied: raft.appliedIndex,
      leader: raft.leader, heardAgo: raft.sinceLeaderContact, electionIn: raft.electionDueIn,
    },
  ];
}

function observed(storage, seen) {
  const save = storage.save.bind(storage);
  storage.save = (ready) => {
    if (ready.hardState) seen.vote = ready.hardState.vote || null;
    if (ready.entries.length > 0) seen.log = ready.entries[ready.entries.length - 1].index;
    return save(ready);
  };
  return storage;
}

/**
 * Joins `room` on the signaling server at `signal` and keeps its Raft state.
 * @param {object} options
 * @param {string|string[]} options.signal the signaling server's ws:// URL(s)
 * @param {string} options.room
 * @param {string} options.data folder for the Raft state and the bot's id
 * @param {Function} options.RTCPeerConnection e.g. @roamhq/wrtc's
 * @param {string} [options.id] the bot's member id (default: kept in `data`, else bot-xxxxxxxx)
 * @param {string} [options.secret] the room's secret, for rooms with one
 * @param {Function} [options.log] receives one object per thing that happened
 * @param {number} [options.joinDeadlineMs=60000] how long to keep retrying a join that can heal
 * @param {object} [options.mesh] more RTCMesh options (iceServers, ...)
 * @param {object} [options.raft] more Raft options (timeouts)
 * @param {boolean} [options.demo] send the demo page's status reports, so it shows the bot
 * @returns {Promise<{ id, mesh, raft, map, close(): Promise<void> }>}
 */
export async function startBot(options) {
  const { signal, room, data, RTCPeerConnection, secret, log = () => {}, joinDeadlineMs = 60000 } = options ?? {};
  const bad = (message) => Object.assign(new TypeError(`startBot: ${message}`), { code: 'bad_argument' });
  if (!signal) throw bad('signal must be the signaling server URL');
  if (typeof room !== 'string' || room === '') throw bad('room must be a non-empty string');
  if (typeof data !== 'string' || data === '') throw bad('data must be a folder for the Raft state');
  if (typeof RTCPeerConnection !== 'function') throw bad('RTCPeerConnection is needed (e.g. from @roamhq/wrtc)');
  await mkdir(data, { recursive: true });
  const id = await persistentId(data, options.id);
  const seen = { vote: null, log: 0 };
  const storage = observed(await openFileStorage(join(data, 'raft')), seen);
  let mesh;
  try {
    // In a room with a secret, members pin each other's signing keys until
    // one leaves, and a new process has a new key: there the bot waits out
    // the server's grace period (its join is retried) and joins afresh.
    const resumeToken = secret === undefined ? await readResumeToken(data) : undefined;
    const meshOptions = { ...options.mesh, id, RTCPeerConnection, WebSocket, resumeToken, ...(secret === undefined ? {} : { secret }) };
    mesh = await joinWithRetries({ signal, room, meshOptions, joinDeadlineMs }, log);
    keepResumeToken(data, mesh.signaling, log);
  } catch (error) {
    await storage.close();
    throw error;
  }
  const raft = await Raft.open({ ...options.raft, mesh, storage, keeper: true });
  const map = new ReplicatedMap(raft);
  log({ event: 'joined', id, room, peers: mesh.peers });
  for (const type of ['peeradded', 'peerremoved']) mesh.addEventListener(type, ({ detail }) => log({ event: type, peer: detail.peer }));
  mesh.addEventListener('error', ({ detail }) => log({ event: 'error', code: detail?.code, message: detail?.message }));
  raft.addEventListener('error', ({ detail }) => log({ event: 'raft-error', code: detail?.code, message: detail?.message }));
  let leader = null;
  const onApplied = () => {
    if (raft.leader === leader) return;
    leader = raft.leader;
    log({ event: 'leader', leader, term: raft.term, members: raft.members });
  };
  raft.addEventListener('apply', onApplied);
  const everySecond = setInterval(() => {
    onApplied();
    if (!options.demo || mesh.closed || raft.closed) return;
    for (const status of demoStatus(mesh, raft, seen)) mesh.broadcast(JSON.stringify(status));
  }, 1000);

  let closing = null;
  const close = () => {
    closing ??= (async () => {
      clearInterval(everySecond);
      map.close();
      await raft.close(); // hands the lead to a browser first, if it leads
      mesh.close();
      log({ event: 'closed', id });
    })();
    return closing;
  };
  return { id, mesh, raft, map, close };
}
