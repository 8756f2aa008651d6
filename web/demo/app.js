// The rtcmesh demo: join a room, chat, watch the links, send a file, and
// (through Raft over the mesh) see every member's Raft state and edit a
// replicated map. Everything here uses the public API only.
import { drawGraph } from './graph.js';
import { FileTransfers, describeProgress } from './files.js';
import { shortId } from './raft-table.js';
import { VideoTiles } from './video.js';

const $ = (selector) => document.querySelector(selector);
const params = new URLSearchParams(location.search);
const signalUrl = params.get('signal') ?? `ws://${location.hostname || '127.0.0.1'}:8787`;
const LINKS_EVERY_MS = 1000;
const ID_KEY = 'rtcmesh-demo-id'; // this tab's id, kept across reloads

let RTCMesh;
let RaftPanel;
let mesh = null;
let linkTimer = null;
let raftPanel = null;
let transfers = null;
let tiles = null;
const linkTables = new Map(); // member -> { peer -> state }, for the graph

function setStatus(text, className = '') {
  $('#status').textContent = text;
  $('#status').className = className;
}

function setJoined(joined) {
  document.body.dataset.state = joined ? 'joined' : 'left';
  $('#join').disabled = joined;
  $('#leave').disabled = !joined;
  $('#room').disabled = joined;
  $('#peer-id').disabled = joined;
  $('#invite').disabled = !joined;
  $('#media-toggle').disabled = !joined;
  $('#media-toggle').textContent = 'Turn camera and microphone on';
  for (const control of document.querySelectorAll('#chat-form *, #file-form *, #kv-form *')) control.disabled = !joined;
}

// What the signaling server and the browser allow in a room name or an id.
const NAME_RULE = /^[A-Za-z0-9._:-]{1,128}$/;

function nameProblem(what, value) {
  if (value.length === 0) return `${what} is empty: use 1–128 characters of A–Z a–z 0–9 . _ : -`;
  if (value.length > 128) return `${what} has ${value.length} characters: at most 128`;
  const bad = [...new Set(value.replace(/[A-Za-z0-9._:-]/g, ''))].map((c) => (c === ' ' ? 'space' : `"${c}"`));
  return NAME_RULE.test(value) ? null : `${what} may not contain ${bad.join(', ')}: use A–Z a–z 0–9 . _ : -`;
}

// Outlines the field to fix and puts the cursor in it.
function markInvalid(input, problem) {
  input.setAttribute('aria-invalid', problem ? 'true' : 'false');
  if (problem) input.focus();
}

// A join that failed, in words a person can act on.
function joinFailure(error, room, id) {
  if (error.code === 'id-taken') return `the id "${id}" is already in room "${room}" (another tab?): pick another id and join again`;
  if (error.code === 'room-full') return `room "${room}" is full: try another room`;
  return `could not join: ${error.message}`;
}

// ---- links ------------------------------------------------------------------

function linkState(peer) {
  const state = mesh.readyState(peer);
  if (state === 'open') return 'open';
  if (mesh.relayed(peer)) return 'relayed';
  return state === 'closed' ? 'failed' : 'connecting';
}

function ownLinks() {
  return Object.fromEntries(mesh.peers.map((peer) => [peer, linkState(peer)]));
}

function refreshGraph() {
  if (!mesh) return;
  linkTables.set(mesh.id, ownLinks());
  for (const member of linkTables.keys()) {
    if (member !== mesh.id && !mesh.peers.includes(member)) linkTables.delete(member);
  }
  drawGraph($('#graph'), mesh.id, linkTables, raftPanel?.liveLeader ?? null);
}

function shareLinks() {
  if (!mesh) return;
  mesh.broadcast(JSON.stringify({ t: 'links', links: ownLinks() }));
  refreshGraph();
}

// ---- chat -------------------------------------------------------------------

function addChatLine(from, text) {
  const line = document.createElement('li');
  const who = document.createElement('span');
  who.className = 'from';
  who.textContent = from === mesh?.id ? `${shortId(from, 24)} (you)` : shortId(from, 24);
  who.title = from; // a 128-character id would take the line
  line.append(who, text);
  $('#chat-log').append(line);
  line.scrollIntoView({ block: 'nearest' });
}

// ---- files ------------------------------------------------------------------

function transferRow(id) {
  let row = document.getElementById(`transfer-${id}`);
  if (!row) {
    row = document.createElement('li');
    row.id = `transfer-${id}`;
    row.innerHTML = '<span class="label"></span> <progress max="1" value="0"></progress> <span class="amount"></span> <span class="done"></span>';
    $('#transfers').append(row);
  }
  return row;
}

function showTransfer(transfer) {
  const row = transferRow(transfer.id);
  const receivers = transfer.outgoing ? `to ${transfer.peers.length} peer${transfer.peers.length === 1 ? '' : 's'}` : `from ${transfer.from}`;
  row.querySelector('.label').textContent = `${transfer.name} ${receivers}`;
  row.querySelector('progress').value = transfer.size ? transfer.done / transfer.size : 1;
  row.querySelector('.amount').textContent = describeProgress(transfer);
  const finished = transfer.done >= transfer.size;
  if (finished) row.dataset.state = 'done';
  if (transfer.outgoing && finished) row.querySelector('.done').textContent = 'delivered';
  if (transfer.blob && !row.querySelector('.done a')) {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(transfer.blob);
    link.download = transfer.name;
    link.textContent = 'save';
    row.querySelector('.done').replaceChildren(link);
  }
}

// ---- joining and leaving ----------------------------------------------------

function onMessage(event) {
  if (typeof event.data !== 'string') {
    transfers?.receive(event.origin, event.data);
    return;
  }
  let message;
  try {
    message = JSON.parse(event.data);
  } catch {
    return; // not from this demo
  }
  if (message.t === 'chat') addChatLine(event.origin, String(message.text));
  if (message.t === 'file-ack') transfers?.acknowledged(event.origin, message);
  if (message.t === 'links' && message.links && typeof message.links === 'object') {
    linkTables.set(event.origin, message.links);
    refreshGraph();
  }
}

async function join(room, id) {
  setStatus('joining…');
  mesh = await RTCMesh.join(signalUrl, room, { id, metadata: { name: id } });
  transfers = new FileTransfers(mesh, showTransfer);
  tiles = new VideoTiles(mesh, $('#tiles'));
  mesh.addEventListener('message', onMessage);
  mesh.addEventListener('peerremoved', () => transfers?.peerLeft());
  for (const type of ['addchannel', 'removechannel', 'relay', 'failed', 'disconnected']) {
    mesh.addEventListener(type, refreshGraph);
  }
  mesh.addEventListener('error', ({ detail }) => setStatus(`error: ${detail.message}`, 'error'));
  mesh.signaling.addEventListener('reconnecting', () => setStatus('signaling server lost, reconnecting…'));
  mesh.signaling.addEventListener('open', () => setStatus(`joined ${shortId(room, 40)} as ${shortId(id, 40)}`, 'ok'));
  linkTimer = setInterval(shareLinks, LINKS_EVERY_MS);
  raftPanel = new RaftPanel(mesh, room);
  setJoined(true);
  setStatus(`joined ${shortId(room, 40)} as ${shortId(id, 40)}`, 'ok');
  // The address bar names the room but not the id, so it can be shared as
  // an invite; the tab keeps its id in sessionStorage, so a reload rejoins
  // as the same member, with its Raft log from IndexedDB.
  sessionStorage.setItem(ID_KEY, id);
  const shared = new URLSearchParams(params);
  shared.delete('id');
  shared.set('room', room);
  shared.set('autojoin', '');
  history.replaceState(null, '', `?${shared}`);
  refreshGraph();
}

function leave() {
  clearInterval(linkTimer);
  raftPanel?.close();
  raftPanel = null;
  tiles?.close();
  tiles = null;
  mesh?.close();
  mesh = null;
  transfers = null;
  linkTables.clear();
  $('#graph').innerHTML = '<text class="empty" x="0" y="0">join a room to see its members</text>';
  setJoined(false);
  setStatus('left the room');
}

// An invite opens this page in the same room and joins at once, under a
// fresh id (two tabs may not share one).
async function copyInvite() {
  const invite = new URL(location.href);
  invite.search = '';
  if (params.get('signal')) invite.searchParams.set('signal', params.get('signal'));
  invite.searchParams.set('room', $('#room').value);
  invite.searchParams.set('autojoin', '');
  $('#invite').dataset.link = invite.href;
  try {
    await navigator.clipboard.writeText(invite.href);
    setStatus(`invite link copied: ${invite.href}`, 'ok');
  } catch {
    setStatus(`copy this invite link: ${invite.href}`, 'ok'); // no clipboard permission
  }
}

// ---- start ------------------------------------------------------------------

async function start() {
  $('#room').value = params.get('room') ?? 'demo';
  $('#peer-id').value = params.get('id') ?? sessionStorage.getItem(ID_KEY) ?? `peer-${Math.random().toString(36).slice(2, 7)}`;
  setJoined(false);
  try {
    // A dynamic import, so a core that fails to load is shown, not swallowed.
    const rtcmesh = await import('/js/index.js');
    RTCMesh = rtcmesh.RTCMesh;
    ({ RaftPanel } = await import('./raft-panel.js')); // it imports the package too
    const core = await rtcmesh.loadCore();
    $('#core-status').textContent = `loaded, version ${core.version()}`;
    $('#core-status').className = 'ok';
    document.body.dataset.core = 'ready';
  } catch (error) {
    $('#core-status').textContent = error.message;
    $('#core-status').className = 'error';
    document.body.dataset.core = 'failed';
    return;
  }

  $('#join-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const room = $('#room').value;
    const id = $('#peer-id').value;
    const roomProblem = nameProblem('the room', room);
    const idProblem = nameProblem('your id', id);
    markInvalid($('#room'), roomProblem);
    markInvalid($('#peer-id'), idProblem);
    if (roomProblem || idProblem) {
      setStatus(roomProblem ?? idProblem, 'error');
      return;
    }
    join(room, id).catch((error) => {
      mesh = null;
      setJoined(false);
      setStatus(joinFailure(error, room, id), 'error');
      if (error.code === 'id-taken') markInvalid($('#peer-id'), true);
    });
  });
  $('#leave').addEventListener('click', leave);
  $('#media-toggle').addEventListener('click', async () => {
    try {
      const on = await tiles.toggle();
      $('#media-toggle').textContent = on ? 'Turn camera and microphone off' : 'Turn camera and microphone on';
    } catch (error) {
      setStatus(`camera and microphone: ${error.message}`, 'error');
    }
  });
  $('#invite').addEventListener('click', copyInvite);
  // Leaving on close lets a leader hand over and the others drop this row at once.
  addEventListener('pagehide', leave);
  $('#chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('#chat-input').value.trim();
    if (!text || !mesh) return;
    mesh.broadcast(JSON.stringify({ t: 'chat', text }));
    addChatLine(mesh.id, text);
    $('#chat-input').value = '';
  });
  $('#file-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = $('#file-input').files[0];
    if (!file || !mesh) return;
    try {
      await transfers.send(file);
    } catch (error) {
      setStatus(`the file could not be sent: ${error.message}`, 'error');
    }
  });
  if (params.get('autojoin') !== null) $('#join-form').requestSubmit();
}

start();
