// The rtcmesh demo: join a room, chat, watch the links, send a file, and
// (through Raft over the mesh) see every member's Raft state and edit a
// replicated map. Everything here uses the public API only.
import { drawGraph } from './graph.js';
import { FileReceiver, sendFile } from './files.js';

const $ = (selector) => document.querySelector(selector);
const params = new URLSearchParams(location.search);
const signalUrl = params.get('signal') ?? `ws://${location.hostname || '127.0.0.1'}:8787`;
const LINKS_EVERY_MS = 1000;

let RTCMesh;
let RaftPanel;
let mesh = null;
let linkTimer = null;
let raftPanel = null;
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
  for (const control of document.querySelectorAll('#chat-form *, #file-form *, #kv-form *')) control.disabled = !joined;
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
  drawGraph($('#graph'), mesh.id, linkTables);
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
  who.textContent = from;
  line.append(who, text);
  $('#chat-log').append(line);
  line.scrollIntoView({ block: 'nearest' });
}

// ---- files ------------------------------------------------------------------

function transferRow(id, label) {
  let row = document.getElementById(`transfer-${id}`);
  if (!row) {
    row = document.createElement('li');
    row.id = `transfer-${id}`;
    row.innerHTML = '<span class="label"></span> <progress max="1" value="0"></progress> <span class="done"></span>';
    $('#transfers').append(row);
  }
  row.querySelector('.label').textContent = label;
  return row;
}

const receiver = new FileReceiver((id, file, blob) => {
  const row = transferRow(id, `${file.name} from ${file.from}`);
  row.querySelector('progress').value = file.size ? file.received / file.size : 1;
  if (blob) {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = file.name;
    link.textContent = 'save';
    row.querySelector('.done').replaceChildren(link);
  }
});

// ---- joining and leaving ----------------------------------------------------

function onMessage(event) {
  if (typeof event.data !== 'string') {
    receiver.receive(event.origin, event.data);
    return;
  }
  let message;
  try {
    message = JSON.parse(event.data);
  } catch {
    return; // not from this demo
  }
  if (message.t === 'chat') addChatLine(event.origin, String(message.text));
  if (message.t === 'links' && message.links && typeof message.links === 'object') {
    linkTables.set(event.origin, message.links);
    refreshGraph();
  }
}

async function join(room, id) {
  setStatus('joining…');
  mesh = await RTCMesh.join(signalUrl, room, { id });
  mesh.addEventListener('message', onMessage);
  for (const type of ['addchannel', 'removechannel', 'relay', 'failed', 'disconnected']) {
    mesh.addEventListener(type, refreshGraph);
  }
  mesh.addEventListener('error', ({ detail }) => setStatus(`error: ${detail.message}`, 'error'));
  mesh.signaling.addEventListener('reconnecting', () => setStatus('signaling server lost, reconnecting…'));
  mesh.signaling.addEventListener('open', () => setStatus(`joined ${room} as ${id}`, 'ok'));
  linkTimer = setInterval(shareLinks, LINKS_EVERY_MS);
  raftPanel = new RaftPanel(mesh, room);
  setJoined(true);
  setStatus(`joined ${room} as ${id}`, 'ok');
  history.replaceState(null, '', `?${new URLSearchParams({ ...Object.fromEntries(params), room })}`);
  refreshGraph();
}

function leave() {
  clearInterval(linkTimer);
  raftPanel?.close();
  raftPanel = null;
  mesh?.close();
  mesh = null;
  linkTables.clear();
  $('#graph').replaceChildren();
  setJoined(false);
  setStatus('left the room');
}

// ---- start ------------------------------------------------------------------

async function start() {
  $('#room').value = params.get('room') ?? 'demo';
  $('#peer-id').value = params.get('id') ?? `peer-${Math.random().toString(36).slice(2, 7)}`;
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
    join($('#room').value, $('#peer-id').value).catch((error) => {
      mesh = null;
      setJoined(false);
      setStatus(`could not join: ${error.message}`, 'error');
    });
  });
  $('#leave').addEventListener('click', leave);
  $('#chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('#chat-input').value.trim();
    if (!text || !mesh) return;
    mesh.broadcast(JSON.stringify({ t: 'chat', text }));
    addChatLine(`${mesh.id} (you)`, text);
    $('#chat-input').value = '';
  });
  $('#file-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = $('#file-input').files[0];
    if (!file || !mesh) return;
    const row = transferRow(`out-${Date.now()}`, `${file.name} to everyone`);
    try {
      await sendFile(mesh, file, (sent, size) => {
        row.querySelector('progress').value = size ? sent / size : 1;
      });
      row.querySelector('.done').textContent = 'sent';
    } catch (error) {
      row.querySelector('.done').textContent = error.message;
    }
  });
  if (params.get('autojoin') !== null) $('#join-form').requestSubmit();
}

start();
