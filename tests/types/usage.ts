// Compiled (never run) by tests/node/types.test.mjs against js/index.d.ts:
// the seed's example and typical use must type-check, misuse must not.
import { RTCMesh, RTCMeshError, Raft, RaftError, ReplicatedMap, RoomSeal, SignalClient, openIndexedDBStorage } from 'rtcmesh';

const rtc = new RTCMesh({
  label: '8cc1fe24-ae72-416f-a6d3-b09d33d9c0e1',
  id: 'f7ac595c-45be-477c-a2f9-e8e33cb45b9c',
  peers: ['f7ac595c-45be-477c-a2f9-e8e33cb45b9c', '47582a65-8da0-48fc-a02b-e876546c9492'],
  iceServers: [{ urls: 'stun:stun.l.google.com:19302' }],
});
rtc.addEventListener('offer', (event) => {
  const sdp: string = event.detail.sdp;
  const peer: string = event.detail.peer;
  void [sdp, peer];
});
rtc.addEventListener('message', (event) => {
  const from: string = event.origin;
  const data: string | ArrayBuffer = event.data;
  void [from, data];
});
rtc.addEventListener('icecandidate', ({ detail }) => rtc.addIceCandidate(detail.peer, detail.candidate));
rtc.broadcast('hello');
rtc.send('47582a65-8da0-48fc-a02b-e876546c9492', new Uint8Array([1, 2]));
const state: 'new' | 'connecting' | 'open' | 'closing' | 'closed' = rtc.readyState('x');
const channel: RTCDataChannel | null = rtc.user_channel('x');
void [state, channel];
try {
  rtc.send('x', 'y');
} catch (error) {
  if (error instanceof RTCMeshError && error.code === 'queue_full') rtc.close();
}

async function joinSealedRoom(): Promise<void> {
  const secret: string = RTCMesh.createSecret();
  const invite: string = RTCMesh.inviteLink('https://app.example/', 'room', secret);
  const read = RTCMesh.readInvite(invite);
  if (read) await RTCMesh.join('ws://127.0.0.1:8787', read.room, { secret: read.secret });
  await RTCMesh.join('ws://127.0.0.1:8787', 'room', { password: 'a phrase' });
  const seal = await RoomSeal.create('room', 'me', { secret });
  const data: { sealed: string } = await seal.seal('you', { kind: 'hello' });
  const body: unknown = await seal.open('you', data);
  const relayKey: Uint8Array | null = seal.relayKey('you');
  const myId: string = await RTCMesh.identityId(await RTCMesh.createIdentity());
  const wired = new RTCMesh({ id: 'me', peers: ['me', 'you'] });
  if (relayKey) wired.setRelayKey('you', relayKey);
  // @ts-expect-error a relay key is bytes
  wired.setRelayKey('you', 'key');
  // @ts-expect-error a secret is a string
  await RTCMesh.join('ws://127.0.0.1:8787', 'room', { secret: 42 });
  console.log(body, myId);
}

async function joinRoom(): Promise<void> {
  const mesh = await RTCMesh.join('ws://127.0.0.1:8787', 'room', { iceServers: [], iceTransportPolicy: 'relay' });
  const client: SignalClient = mesh.signaling;
  client.addEventListener('peerjoined', ({ detail }) => console.log(detail.peer));
  client.addEventListener('open', ({ detail }) => console.log(detail.iceServers.length));
  client.addEventListener('iceservers', ({ detail }) => console.log(detail.iceServers[0]?.username));
  const minted: string | undefined = client.iceServers[0]?.credential;
  const policy: 'all' | 'relay' = mesh.iceTransportPolicy;
  mesh.addEventListener('error', ({ detail }) => {
    if (detail.code === 'ice_server') console.log(detail.url, detail.errorCode);
  });
  void [minted, policy];
  mesh.close();
}
void joinRoom;
// @ts-expect-error: only 'all' and 'relay'
new RTCMesh({ id: 'p', iceTransportPolicy: 'none' });

// The seed's Raft example, as written.
const raft = new Raft({
  address: 'f7ac595c-45be-477c-a2f9-e8e33cb45b9c',
  electionMinTimeout: 1500,
  electionMaxTimeout: 3000,
  heartbeatInterval: 500,
});
function sendReply(data: Uint8Array): void { void data; }
raft.join('47582a65-8da0-48fc-a02b-e876546c9492', sendReply);
raft.join('869564f3-c62f-4ed5-8c7b-3849146c3f97', sendReply);
const leaderAddress: string | null = raft.leader;
void leaderAddress;
raft.addEventListener('apply', ({ detail }) => { const bytes: Uint8Array = detail.data; void bytes; });
raft.addEventListener('join', ({ detail }) => { const voter: boolean = detail.voter; void voter; });

async function overMesh(mesh: RTCMesh): Promise<void> {
  const storage = await openIndexedDBStorage(`room:${mesh.id}`);
  const node = await Raft.open({ mesh, storage });
  const map = new ReplicatedMap<number>(node);
  await map.set('count', 1);
  const count: number | undefined = await map.read('count');
  void count;
  try {
    await node.propose('x');
  } catch (error) {
    if (error instanceof RaftError && error.leader) console.log(error.leader);
  }
  await node.close();
}
void overMesh;

// With the DOM lib, the DOM's own types fit: listeners typed with them, its
// ICE and description types, and the classes as EventTargets.
const onOffer = (event: CustomEvent<{ peer: string; sdp: string }>): void => { void event.detail.sdp; };
rtc.addEventListener('offer', onOffer);
rtc.addEventListener('message', (event: MessageEvent) => { void event.data; });
const target: EventTarget = rtc;
const domServers: RTCIceServer[] = [{ urls: 'turn:127.0.0.1', username: 'u', credential: 'p' }];
new RTCMesh({ id: 'c', iceServers: domServers, RTCPeerConnection });
rtc.addEventListener('icecandidate', ({ detail }) => { const init: RTCIceCandidateInit | null = detail.candidate; void init; });
rtc.addEventListener('offer', () => {}, { once: true, signal: new AbortController().signal });
void [target, rtc.createAnswer('x', new RTCSessionDescription({ type: 'offer', sdp: 'v=0' }))];
void openIndexedDBStorage('name', indexedDB);

// @ts-expect-error: a map of numbers refuses strings
new ReplicatedMap<number>(raft).set('k', 'not a number');
// @ts-expect-error: broadcast takes strings or binary, not numbers
rtc.broadcast(42);
// @ts-expect-error: id is required
new RTCMesh({ peers: [] });
// @ts-expect-error: offer details carry sdp as a string
rtc.addEventListener('offer', (event) => { const n: number = event.detail.sdp; void n; });

// Named channels and media tracks.
{
  const mesh = new RTCMesh({ id: 'a', peers: ['b'] });
  const chat = mesh.channel('chat');
  const cursors = mesh.channel('cursors', { ordered: false, maxRetransmits: 0 });
  chat.addEventListener('message', (event) => void event.data);
  cursors.send('b', new Uint8Array(2));
  const reliable: boolean = chat.reliable;
  mesh.addEventListener('track', ({ detail }) => void [detail.peer, detail.track.kind, detail.streams.length]);
  mesh.addEventListener('trackended', ({ detail }) => void detail.track.id);
  mesh.addEventListener('mediarelayed', ({ detail }) => void detail.via);
  void reliable;
}
