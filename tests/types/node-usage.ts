// Compiled (never run) by tests/node/types.test.mjs in Node-only projects:
// lib ES2022 without the DOM, with and without @types/node. The package's
// declarations must not need the DOM's globals (RTCPeerConnection,
// EventTarget, MessageEvent, RTCIceServer...) to check.
import { RTCMesh, RTCMeshError, Raft, ReplicatedMap } from 'rtcmesh';
import * as lazy from 'rtcmesh/async';
import type { IceCandidateInit, IceServer, RaftStorage, RTCMeshEventMap } from 'rtcmesh';

// @roamhq/wrtc's own declarations re-export the DOM's classes, so a project
// without the DOM lib declares what it uses of it.
declare const wrtc: { RTCPeerConnection: new (configuration?: object) => object };
declare const WebSocketImpl: unknown; // the "ws" package's WebSocket

const iceServers: IceServer[] = [{ urls: ['stun:127.0.0.1:3478'], username: 'u', credential: 'p' }];

async function node(): Promise<void> {
  const mesh = await RTCMesh.join('ws://127.0.0.1:8787', 'room', {
    id: 'ana',
    iceServers,
    WebSocket: WebSocketImpl,
    RTCPeerConnection: wrtc.RTCPeerConnection,
  });
  mesh.addEventListener('message', (event) => {
    const from: string = event.origin;
    const data: string | ArrayBuffer = event.data;
    void [from, data];
  });
  mesh.addEventListener('icecandidate', ({ detail }) => {
    const candidate: IceCandidateInit | null = detail.candidate;
    mesh.addIceCandidate(detail.peer, candidate);
  });
  const onOffer = (event: RTCMeshEventMap['offer']): void => { const sdp: string = event.detail.sdp; void sdp; };
  mesh.addEventListener('offer', onOffer);
  mesh.removeEventListener('offer', onOffer);
  mesh.addEventListener('custom-name', () => {}, { once: true });
  const answer = await mesh.createAnswer('ben', { type: 'offer', sdp: 'v=0' });
  const text: string = answer.sdp;
  void text;
  try {
    mesh.send('ben', new Uint8Array([1]));
  } catch (error) {
    if (error instanceof RTCMeshError && error.code === 'not_ready') throw error;
  }

  const memory: RaftStorage = {
    async load() { return { hardState: null, snapshot: null, entries: [] }; },
    async save() {},
  };
  const raft = await Raft.open({ mesh, storage: memory });
  raft.addEventListener('leader', ({ detail }) => { const leader: string | null = detail.leader; void leader; });
  const map = new ReplicatedMap<string>(raft);
  map.addEventListener('change', ({ detail }) => { const key: string = detail.key; void key; });
  await map.set('k', 'v');
  await raft.close();
  mesh.close();
}
void node;

// The async entry: the same classes, plus ready().
async function later(): Promise<void> {
  const core: unknown = await lazy.ready();
  void core;
  const mesh: RTCMesh = new lazy.RTCMesh({ id: 'a', peers: ['b'], RTCPeerConnection: wrtc.RTCPeerConnection });
  void mesh;
  const raft: Raft = new lazy.Raft({ address: 'a' });
  void raft;
}
void later;

// Member metadata, and the waits for the room.
async function room(): Promise<void> {
  const raft = new Raft({ address: 'a', keeper: true });
  const index: number = await raft.synced({ timeoutMs: 1000 });
  const mesh = new RTCMesh({ id: 'm', metadata: { name: 'Ana' }, RTCPeerConnection: wrtc.RTCPeerConnection });
  mesh.setMetadata({ name: 'Ana', away: true });
  const peers: string[] = await mesh.connected({ timeoutMs: 1000 });
  mesh.addEventListener('metadata', ({ detail }) => { const who: string = detail.peer; void [who, detail.metadata]; });
  void [index, peers, mesh.metadata('b')];
}
void room;

// @ts-expect-error: message data is a string or an ArrayBuffer, not a number
new RTCMesh({ id: 'x' }).addEventListener('message', (event) => { const n: number = event.data; void n; });
// @ts-expect-error: an ICE server needs urls
void ([{ username: 'u' }] satisfies IceServer[]);
// @ts-expect-error: the host helpers are not exports of the package
import type { DetailEvent } from 'rtcmesh';
