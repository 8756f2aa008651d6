// Type declarations of rtcmesh's public API (browsers and Node alike).
// tests/types/usage.ts is compiled against this file by the test suite.

// ---------------------------------------------------------------- host types
// These declarations must check in a project without the DOM lib (Node only,
// with or without @types/node), so they name no DOM global directly: a host
// type is read from `typeof globalThis` when the project declares it (DOM,
// @types/node), and is otherwise replaced by the few members rtcmesh uses.
// With the DOM lib, every type below is the DOM's own (or the same shape).

type Host = typeof globalThis;
/** The instance type of the global class `Name` if the project declares one, else `Fallback`. */
type HostInstance<Name extends string, Fallback> = Host extends { [K in Name]: { prototype: infer T } } ? T : Fallback;

/** The Event members a host without DOM types gets. */
interface MinimalEvent {
  readonly type: string;
  readonly timeStamp: number;
  readonly defaultPrevented: boolean;
  preventDefault(): void;
  stopPropagation(): void;
  stopImmediatePropagation(): void;
}
type MinimalListener = ((event: MinimalEvent) => void) | { handleEvent(event: MinimalEvent): void };
interface MinimalEventTarget {
  addEventListener(type: string, listener: MinimalListener | null, options?: boolean | { capture?: boolean; once?: boolean; passive?: boolean; signal?: unknown }): void;
  removeEventListener(type: string, listener: MinimalListener | null, options?: boolean | { capture?: boolean }): void;
  dispatchEvent(event: MinimalEvent): boolean;
}
type HostEventTarget = HostInstance<'EventTarget', MinimalEventTarget>;
/** EventTarget.addEventListener's listener and options, as the host types them. */
type HostListener = Parameters<HostEventTarget['addEventListener']>[1];
type HostAddOptions = Parameters<HostEventTarget['addEventListener']>[2];
type HostRemoveOptions = Parameters<HostEventTarget['removeEventListener']>[2];
/** The host's EventTarget class: rtcmesh's classes extend the real one at run time. */
declare const EventTargetBase: Host extends { EventTarget: infer C extends abstract new () => object } ? C : new () => MinimalEventTarget;

/** A CustomEvent whose `detail` is typed (assignable to the DOM's CustomEvent<T>). */
type DetailEvent<T> = Omit<HostInstance<'CustomEvent', MinimalEvent>, 'detail'> & { readonly detail: T };
/** A MessageEvent whose `data` is typed; `origin` is the sender's id. */
type DataEvent<T> = Omit<HostInstance<'MessageEvent', MinimalEvent>, 'data' | 'origin'> & { readonly data: T; readonly origin: string };

/** An ICE server (the shape of the DOM's RTCIceServer). */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}
/** An ICE candidate (the shape of the DOM's RTCIceCandidateInit). */
export interface IceCandidateInit {
  candidate?: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}
/** A session description (the shape of the DOM's RTCSessionDescriptionInit). */
export interface SessionDescriptionInit {
  type: 'offer' | 'answer' | 'pranswer' | 'rollback';
  sdp?: string;
}
/** What user_channel() returns: the host's RTCDataChannel (in Node, @roamhq/wrtc's). */
type DataChannel = HostInstance<'RTCDataChannel', {
  readonly label: string;
  readonly readyState: 'connecting' | 'open' | 'closing' | 'closed';
  readonly bufferedAmount: number;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(): void;
}>;

/** The host's MediaStreamTrack and MediaStream (browsers); their members rtcmesh uses elsewhere. */
type MediaTrack = HostInstance<'MediaStreamTrack', { readonly kind: string; readonly id: string; readonly readyState: string; stop(): void }>;
type MediaStreamOf = HostInstance<'MediaStream', { readonly id: string; getTracks(): MediaTrack[] }>;

/** What addTrack() returns, for removeTrack(). */
export interface MeshTrackHandle {
  readonly track: MediaTrack;
  readonly streams: readonly MediaStreamOf[];
  /** The one peer it goes to; null: every peer. */
  readonly peer: string | null;
}

/**
 * Loads the wasm core (once) and resolves to it. "rtcmesh" awaits it at
 * import; "rtcmesh/async" does not: await it before `new RTCMesh()` or
 * `new Raft()`, whose constructors otherwise throw with code `not_ready`.
 */
export function ready(): Promise<unknown>;
/** The same function as ready(). */
export function loadCore(): Promise<unknown>;

// ---------------------------------------------------------------- RTCMesh

export interface RTCMeshOptions {
  /** This node's address (1..256 characters). */
  id: string;
  /** Every node of the network; may include `id`. More can be added with addPeer(). */
  peers?: string[];
  /** Data channel label, for devtools. */
  label?: string;
  /**
   * STUN/TURN servers for every connection. With RTCMesh.join, the TURN
   * entries a signaling server started with `turn` hands out are added to them.
   */
  iceServers?: IceServer[];
  /**
   * 'relay': only TURN-relayed candidates, so every link goes through a TURN
   * server (it must be in iceServers, or handed out by the signaling server).
   * Default 'all'. Anything else throws a TypeError with code `bad_argument`.
   */
  iceTransportPolicy?: 'all' | 'relay';
  /** Route around broken links through a common peer (default true). */
  relay?: boolean;
  /**
   * The last-resort path (with RTCMesh.join, and a signaling server started
   * with `relay`): a peer that no link and no relay member reaches gets its
   * traffic through the signaling server, sealed end to end in a room with a
   * secret; a `relay` event with `server: true` says so. Default false.
   */
  lastResort?: boolean;
  /** Largest message accepted by send/broadcast (default 64 MiB). */
  maxMessageBytes?: number;
  /** Unacknowledged bytes per peer before send() throws `queue_full` (default 128 MiB). */
  maxQueuedBytesPerPeer?: number;
  /** Most peers per mesh (default 64). */
  maxPeers?: number;
  /**
   * A link attempt whose channel has not opened by then is closed and retried
   * with backoff (default 15000). Raise it when many links form at once on a
   * slow machine.
   */
  connectTimeoutMs?: number;
  /**
   * A peer from which nothing arrived for this long loses its link
   * (removechannel, failed) and is redialled; a link quiet for half of it, or
   * for 2.5 s less when that is longer, at most 3 s, carries a keep-alive
   * (default 5500, at least 300). Give a shorter timeout to every
   * member of the room: the others' keep-alives follow their own.
   */
  silenceTimeoutMs?: number;
  /**
   * false: ICE-TCP candidates are neither sent nor used (UDP and TURN only).
   * For a Node process holding many links, where @roamhq/wrtc's TCP
   * candidates can take most of the CPU (default true).
   */
  tcpCandidates?: boolean;
  /** The RTCPeerConnection class; in Node, @roamhq/wrtc's. Default: the global one. */
  RTCPeerConnection?: abstract new (configuration?: any) => object;
  /** Seed of the core's randomness, for reproducible runs. */
  seed?: number;
  /**
   * A JSON value shared with every member (a name, an avatar URL), at most
   * 4096 bytes as JSON; past that, or not JSON, the constructor throws with
   * code `bad_argument`. Members read it with metadata(peer).
   */
  metadata?: unknown;
}

/** A member's signing key pair: a WebCrypto CryptoKeyPair from RTCMesh.createIdentity(). */
export interface RTCMeshIdentity {
  readonly publicKey: object;
  readonly privateKey: object;
}

export interface RTCMeshJoinOptions extends Omit<RTCMeshOptions, 'id' | 'peers'> {
  /** Defaults to a random UUID. */
  id?: string;
  /** The WebSocket implementation; in Node, the "ws" package's. */
  WebSocket?: unknown;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** The `signaling.token` of an earlier run with this id: takes the id back within the server's grace period (a restarted bot). */
  resumeToken?: string;
  /** join() settles within this: it rejects with an RTCMeshError saying why. Default 10000. */
  timeoutMs?: number;
  /**
   * The room's secret (RTCMesh.createSecret()): signals are sealed with it and
   * only members that hold it are admitted. See the README's "Trust model".
   */
  secret?: string;
  /** A password a person chose, instead of `secret`: slow to derive on purpose (PBKDF2, 600,000 rounds). */
  password?: string;
  /**
   * This member's signing key pair (RTCMesh.createIdentity()); a new one per
   * join when absent. With `secret` and no `id`, the member's id is
   * RTCMesh.identityId(identity), which no one else can join under.
   */
  identity?: RTCMeshIdentity;
}

/** Why RTCMesh.join() failed; any other signaling server error code may also appear. */
export type RTCMeshJoinErrorCode =
  | 'unreachable' | 'not-a-signaling-server' | 'id-taken' | 'room-full' | 'origin-refused'
  | 'server-full' | 'too-many-sockets' | 'too-many-rooms' | 'rate-limit' | 'join-rate';

export type RTCMeshReadyState = 'new' | 'connecting' | 'open' | 'closing' | 'closed';

export type RTCMeshErrorCode =
  | 'bad_argument' | 'unknown_peer' | 'bad_sdp' | 'stale_description' | 'message_too_large'
  | 'queue_full' | 'malformed_frame' | 'reassembly_limit' | 'too_many_peers' | 'closed'
  | 'gave_up' | 'operation_failed' | 'connection_refused' | 'peer_refused' | 'forged_frame' | 'not_connected' | 'bad_link_proof' | 'bad_seal' | 'not_ready' | 'ice_server' | 'timeout' | RTCMeshJoinErrorCode | (string & {});

export interface RTCMeshEventMap {
  offer: DetailEvent<{ peer: string; sdp: string }>;
  answer: DetailEvent<{ peer: string; sdp: string }>;
  icecandidate: DetailEvent<{ peer: string; candidate: IceCandidateInit | null }>;
  disconnected: DetailEvent<{ peer: string }>;
  failed: DetailEvent<{ peer: string; reason: string }>;
  reconnecting: DetailEvent<{ peer: string; attempt: number }>;
  icerestart: DetailEvent<{ peer: string }>;
  addchannel: DetailEvent<{ peer: string }>;
  removechannel: DetailEvent<{ peer: string }>;
  /** Traffic to `peer` goes through member `via`, or through the signaling server (`server`); both null/false: direct again. */
  relay: DetailEvent<{ peer: string; via: string | null; server: boolean }>;
  bufferedamountlow: DetailEvent<{ peer: string }>;
  /** `metadata`: what the peer shared, if it arrived already (else a `metadata` event follows). */
  peeradded: DetailEvent<{ peer: string; metadata: unknown }>;
  /** A peer's metadata arrived, or it changed it. */
  metadata: DetailEvent<{ peer: string; metadata: unknown }>;
  peerremoved: DetailEvent<{ peer: string }>;
  /** `data` is a string or an ArrayBuffer; `origin` is the sender's id. */
  message: DataEvent<string | ArrayBuffer>;
  /**
   * Code `ice_server` (browsers only): a STUN/TURN server failed, once per
   * server and `errorCode` (401: it refused the credentials, wrong or
   * expired; 701: it could not be reached); `peer` is null.
   */
  error: DetailEvent<{ peer: string | null; code: string; message: string; url?: string; errorCode?: number }>;
  close: DetailEvent<Record<string, never>>;
  /** A peer's media track arrived, with the streams it was added with. */
  track: DetailEvent<{ peer: string; track: MediaTrack; streams: MediaStreamOf[] }>;
  /** A track from `peer` went: it removed it, or the connection closed (a re-made one brings `track` again). */
  trackended: DetailEvent<{ peer: string; track: MediaTrack }>;
  /** Our tracks for `peer` stop: it is reached only through a relay (`via`; null: the signaling server). */
  mediarelayed: DetailEvent<{ peer: string; via: string | null }>;
}

export class RTCMeshError extends Error {
  readonly code: RTCMeshErrorCode;
}

export class RTCMesh extends EventTargetBase {
  constructor(options: RTCMeshOptions);
  /** Joins a room on an rtcmesh signaling server; the mesh follows its members. */
  /**
   * Joins a room on an rtcmesh signaling server (or on any of several servers
   * of one cluster); the mesh follows its members. Rejects within
   * `options.timeoutMs` with an RTCMeshError whose `code` says why.
   */
  static join(url: string | string[], room: string, options?: RTCMeshJoinOptions): Promise<RTCMesh & { signaling: SignalClient }>;
  /** 256 random bits, URL-safe: a room secret. */
  static createSecret(): string;
  /** A member's signing key pair (Ed25519, else ECDSA P-256), for `join(..., { secret, identity })`. */
  static createIdentity(): Promise<RTCMeshIdentity>;
  /** "key-" and 160 bits of the identity's public key hash: the id a sealed join takes when no `id` is given, which no one else can claim. */
  static identityId(identity: RTCMeshIdentity): Promise<string>;
  /** `pageUrl` with room and secret in its fragment, which browsers never send to a server. */
  static inviteLink(pageUrl: string, room: string, secret: string): string;
  /** `{ room, secret }` from an invite link (such as `location.href`), or null. */
  static readInvite(link: string | { readonly href: string }): { room: string; secret: string } | null;

  readonly id: string;
  readonly label: string;
  readonly peers: string[];
  readonly closed: boolean;
  readonly openPeerConnections: number;
  /** The iceTransportPolicy of every connection. */
  readonly iceTransportPolicy: 'all' | 'relay';
  bufferedAmountLowThreshold: number;

  /** Resolves to the offer (also emitted as `offer`); rejects with RTCMeshError `closed` or `timeout`. */
  createOffer(peer: string): Promise<{ type: 'offer'; sdp: string }>;
  /** Resolves to the answer (also emitted as `answer`); rejects with RTCMeshError `closed` or `timeout`. */
  createAnswer(peer: string, offer: string | SessionDescriptionInit): Promise<{ type: 'answer'; sdp: string }>;
  addAnswer(peer: string, answer: string | SessionDescriptionInit): void;
  addIceCandidate(peer: string, candidate: IceCandidateInit | string | null): void;
  broadcast(data: string | ArrayBuffer | ArrayBufferView): void;
  send(peer: string, data: string | ArrayBuffer | ArrayBufferView): void;
  readyState(peer: string): RTCMeshReadyState;
  user_channel(peer: string): DataChannel | null;
  bufferedAmount(peer: string): number;
  relayed(peer: string): boolean;
  addPeer(peer: string): void;
  /**
   * The 32-byte key shared with `peer` alone: frames relayed between the two
   * then carry a MAC under it, and each new link to `peer` opens only once
   * the peer proved the key over it (else `bad_link_proof`). Both ends set it.
   */
  setRelayKey(peer: string, key: Uint8Array): void;
  removePeer(peer: string): void;
  /** This member's metadata (no argument), or what `peer` shared; undefined when none. */
  metadata(peer?: string): unknown;
  /** Shares a new JSON value (at most 4096 bytes as JSON) with every member. */
  setMetadata(value: unknown): void;
  /**
   * Resolves with the peers once the link to every current member is open;
   * rejects with an RTCMeshError, code `timeout` (default 30000 ms) or `closed`.
   */
  connected(options?: { timeoutMs?: number }): Promise<string[]>;
  /**
   * A named channel with its own `message` events. The default (ordered,
   * reliable) rides the mesh's frames: relayed, any size. `ordered: false` or
   * a `maxRetransmits` gets a data channel of its own per direct link: never
   * relayed, at most 65535 bytes a message. The same name again returns the
   * same channel; other options for an open name throw `bad_argument`.
   */
  channel(name: string, options?: MeshChannelOptions): MeshChannel;
  /**
   * Sends a media track to every peer (now and later ones) on their direct
   * links, or with `{ peer }` last to one; the core renegotiates. At most 64
   * at once.
   */
  addTrack(track: MediaTrack, ...streamsAndOptions: (MediaStreamOf | { peer?: string })[]): MeshTrackHandle;
  /** Stops sending it; the receivers get `trackended`. */
  removeTrack(handle: MeshTrackHandle): void;
  /** The tracks peers send us now (with `peer`, that peer's), as their `track` events gave them. */
  remoteTracks(peer?: string): { peer: string; track: MediaTrack; streams: MediaStreamOf[] }[];
  /** close(peer) closes one connection; close() closes the mesh. */
  close(peer?: string): void;

  addEventListener<K extends keyof RTCMeshEventMap>(
    type: K, listener: (event: RTCMeshEventMap[K]) => void, options?: HostAddOptions): void;
  addEventListener(type: string, listener: HostListener, options?: HostAddOptions): void;
  removeEventListener<K extends keyof RTCMeshEventMap>(
    type: K, listener: (event: RTCMeshEventMap[K]) => void, options?: HostRemoveOptions): void;
  removeEventListener(type: string, listener: HostListener, options?: HostRemoveOptions): void;
}

export interface MeshChannelOptions {
  /** Default true. */
  ordered?: boolean;
  /** null (default): reliable; 0 to 65535: retransmissions before a message is given up. */
  maxRetransmits?: number | null;
}

export interface MeshChannelEventMap {
  /** `data` is a string or an ArrayBuffer; `origin` is the sender's id. */
  message: DataEvent<string | ArrayBuffer>;
}

/** A named channel of an RTCMesh (mesh.channel(name, options)). */
export class MeshChannel extends EventTargetBase {
  readonly name: string;
  readonly ordered: boolean;
  readonly maxRetransmits: number | null;
  /** Ordered and reliable: carried by the mesh's frames, relayed when a link is down. */
  readonly reliable: boolean;
  readonly closed: boolean;
  /** Throws RTCMeshError `not_connected` (an unreliable channel to a peer not directly linked), `message_too_large`, `queue_full`, `closed`. */
  send(peer: string, data: string | ArrayBuffer | ArrayBufferView): void;
  broadcast(data: string | ArrayBuffer | ArrayBufferView): void;
  close(): void;

  addEventListener<K extends keyof MeshChannelEventMap>(
    type: K, listener: (event: MeshChannelEventMap[K]) => void, options?: HostAddOptions): void;
  addEventListener(type: string, listener: HostListener, options?: HostAddOptions): void;
  removeEventListener<K extends keyof MeshChannelEventMap>(
    type: K, listener: (event: MeshChannelEventMap[K]) => void, options?: HostRemoveOptions): void;
  removeEventListener(type: string, listener: HostListener, options?: HostRemoveOptions): void;
}

// ---------------------------------------------------------------- signaling

export interface SignalClientEventMap {
  /** Joined (again). `iceServers`: what the welcome handed out (TURN credentials), [] if none. */
  open: DetailEvent<{ peers: string[]; resumed: boolean; iceServers: IceServer[] }>;
  /** Fresh TURN credentials, sent before the previous ones are half spent. */
  iceservers: DetailEvent<{ iceServers: IceServer[] }>;
  peerjoined: DetailEvent<{ peer: string }>;
  peerleft: DetailEvent<{ peer: string }>;
  signal: DetailEvent<{ from: string; data: unknown }>;
  /** A mesh frame through the server's last-resort path (servers started with `relay`). */
  relay: DetailEvent<{ from: string; bytes: Uint8Array }>;
  reconnecting: DetailEvent<{ attempt: number; delayMs: number; url: string; code?: string }>;
  /** Every error the server sends; `fatal` ones end the connection. */
  /** `peer`: the member a refused signal was for (unknown-peer, peer-away). */
  error: DetailEvent<{ code: string; message: string; fatal: boolean; peer?: string }>;
  /** Closed for good: by close() (no code), or by an error that cannot heal. */
  close: DetailEvent<{ code?: string; message?: string }>;
}

/**
 * Seals signals with a room's key, for meshes wired to a signaling channel by
 * hand (RTCMesh.join does this itself with `secret` or `password`).
 */
export class RoomSeal {
  static create(room: string, id: string, options: ({ secret: string } | { password: string }) & { identity?: RTCMeshIdentity }): Promise<RoomSeal>;
  /** Our hello's body, which carries our public key: send it sealed to each member first. */
  hello(extra?: object): { kind: 'hello'; alg: string; key: string; dh: string };
  /** The 32-byte key shared with `peer` once its hello opened (for RTCMesh.setRelayKey), else null. */
  relayKey(peer: string): Uint8Array | null;
  /** Forgets the key pinned for `peer` (it left the room). */
  forget(peer: string): void;
  /** `body` sealed for member `to`: send the result as the signal's data. */
  seal(to: string, body: unknown): Promise<{ sealed: string }>;
  /** The body of a signal from `from`, or null if it does not open (no secret, altered, or replayed). */
  open(from: string, data: unknown): Promise<unknown | null>;
}

export class SignalClient extends EventTargetBase {
  constructor(url: string | string[], room: string, peer: string, options?: { WebSocket?: unknown; reconnectMinMs?: number; reconnectMaxMs?: number; token?: string });
  /** The resume token of the latest welcome: a process that keeps it can take its id back within the server's grace period. */
  token: string | null;
  /** The server URL in use. */
  readonly url: string;
  readonly urls: string[];
  readonly room: string;
  readonly peer: string;
  readonly peers: Set<string>;
  readonly closed: boolean;
  /** The ICE servers (TURN credentials) of the latest welcome or refresh; [] if the server hands out none. */
  readonly iceServers: IceServer[];
  /** Resolves with the peers present once joined; rejects (Error with `code`) on a final failure or the timeout. */
  ready(options?: { timeoutMs?: number }): Promise<string[]>;
  signal(to: string, data: unknown): boolean;
  /** The welcome's relay limits when the server relays mesh frames (started with `relay`), else null. */
  readonly relayLimits: { maxFrameBytes: number; bytesPerSecond: number } | null;
  /** Sends a mesh frame through the server; false when disconnected, not relaying, or over its size limit. */
  relay(to: string, bytes: Uint8Array): boolean;
  close(): void;
  addEventListener<K extends keyof SignalClientEventMap>(
    type: K, listener: (event: SignalClientEventMap[K]) => void, options?: HostAddOptions): void;
  addEventListener(type: string, listener: HostListener, options?: HostAddOptions): void;
}

// ---------------------------------------------------------------- Raft

export interface RaftOptions {
  /** This node's address; over a mesh, defaults to the mesh's id. */
  address?: string;
  /** Default 1500 ms (hidden tabs tick at most once a second). */
  electionMinTimeout?: number;
  /** Default 3000 ms. */
  electionMaxTimeout?: number;
  /** Default 500 ms. */
  heartbeatInterval?: number;
  /** Explicit initial members; default: this node plus every join()ed address. */
  members?: string[];
  /** Wait to be added by an existing leader instead of bootstrapping. */
  joinExisting?: boolean;
  /**
   * This member stays while others come and go (a bot with durable storage,
   * such as `rtcmesh-bot`). While a keeper leads it is the only voter and
   * every other member a learner, so any number of them may leave at once;
   * the cluster is then available exactly when a keeper is.
   */
  keeper?: boolean;
  /** Run over this mesh: messages, membership and forwarding are wired for you. */
  mesh?: RTCMesh;
  /** Durable storage, e.g. from openIndexedDBStorage(); use Raft.open() to restore from it. */
  storage?: RaftStorage;
  /** Tick by itself (default true); false = call update() yourself. */
  autoUpdate?: boolean;
  /** Largest entry propose() accepts (default 1 MiB). */
  maxEntryBytes?: number;
  seed?: number;
}

export interface RaftEntry { index: number; term: number; type: 'normal' | 'noop' | 'config'; data: Uint8Array }
export interface RaftHardState { term: number; vote: string; commit: number }
export interface RaftSnapshot { index: number; term: number; voters: string[]; learners: string[]; data: Uint8Array }
export interface RaftReady {
  hardState: RaftHardState | null;
  entries: RaftEntry[];
  snapshot: RaftSnapshot | null;
}

/** Where a node keeps its term, vote, log and snapshot. */
export interface RaftStorage {
  load(): Promise<{ hardState: RaftHardState | null; snapshot: RaftSnapshot | null; entries: RaftEntry[] }>;
  save(ready: RaftReady): Promise<void>;
  saveSnapshot?(snapshot: RaftSnapshot): Promise<void>;
  close?(): void;
}

export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

export interface RaftEventMap {
  join: DetailEvent<{ address: string; voter: boolean }>;
  leave: DetailEvent<{ address: string }>;
  closing: DetailEvent<Record<string, never>>;
  closed: DetailEvent<Record<string, never>>;
  leader: DetailEvent<{ leader: string | null }>;
  role: DetailEvent<{ role: RaftRole }>;
  term: DetailEvent<{ term: number }>;
  commit: DetailEvent<{ index: number }>;
  apply: DetailEvent<{ index: number; term: number; data: Uint8Array }>;
  snapshot: DetailEvent<{ index: number; data: Uint8Array }>;
  error: DetailEvent<{ code: RaftErrorCode; message: string }>;
}

/** The Raft core's error codes, and `lost` / `storage` / `not_ready` from the JS class. */
export type RaftErrorCode =
  | 'closed'
  | 'not_leader'
  | 'bad_argument'
  | 'too_large'
  | 'bad_message'
  | 'unknown_peer'
  | 'busy'
  | 'log_full'
  | 'forward_failed'
  | 'lost'
  | 'storage'
  | 'send_failed'
  /** synced() did not catch up in time. */
  | 'timeout'
  /** From the constructor: the wasm core is not loaded ("rtcmesh/async" without ready()). */
  | 'not_ready';

export class RaftError extends Error {
  constructor(code: RaftErrorCode, message: string, leader?: string | null);
  readonly code: RaftErrorCode;
  /** The current leader when known: retry there. */
  readonly leader: string | null;
}

export class Raft extends EventTargetBase {
  constructor(options: RaftOptions);
  /** Restores from `options.storage` and keeps every Ready there. */
  static open(options: RaftOptions & { storage: RaftStorage }): Promise<Raft>;

  readonly address: string;
  readonly leader: string | null;
  readonly role: RaftRole;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** ms until this member calls an election if it hears no leader; null for a leader, learner or removed member. */
  readonly electionDueIn: number | null;
  /** ms since this member last heard its leader (heartbeats included); null for a leader or before any. */
  readonly sinceLeaderContact: number | null;
  readonly members: { voters: string[]; learners: string[] };
  readonly closed: boolean;

  join(address: string, send: (data: Uint8Array) => void): void;
  leave(address: string): void;
  /** After close() the message is ignored: networks deliver late. */
  onRaftMessage(data: Uint8Array | ArrayBuffer, from?: string): void;
  update(now?: number): void;
  close(): Promise<void>;
  propose(data: string | ArrayBuffer | ArrayBufferView): Promise<{ index: number; term: number }>;
  readIndex(): Promise<number>;
  /**
   * Resolves with the applied index once this member applied everything the
   * cluster had committed at the call, retrying while no leader answers;
   * rejects with a RaftError, code `timeout` (default 30000 ms) or `closed`.
   */
  synced(options?: { timeoutMs?: number }): Promise<number>;
  transferLeadership(address: string): void;
  compact(data: string | ArrayBuffer | ArrayBufferView, index?: number): { index: number; term: number };

  addEventListener<K extends keyof RaftEventMap>(
    type: K, listener: (event: RaftEventMap[K]) => void, options?: HostAddOptions): void;
  addEventListener(type: string, listener: HostListener, options?: HostAddOptions): void;
}

export interface ReplicatedMapEventMap {
  change: DetailEvent<{ key: string; value: unknown; deleted: boolean }>;
}

export class ReplicatedMap<V = unknown> extends EventTargetBase {
  constructor(raft: Raft, options?: { snapshotEvery?: number });
  snapshotEvery: number;
  readonly size: number;
  set(key: string, value: V): Promise<void>;
  delete(key: string): Promise<void>;
  get(key: string): V | undefined;
  has(key: string): boolean;
  read(key: string): Promise<V | undefined>;
  entries(): IterableIterator<[string, V]>;
  keys(): IterableIterator<string>;
  close(): void;
  addEventListener<K extends keyof ReplicatedMapEventMap>(
    type: K, listener: (event: ReplicatedMapEventMap[K]) => void, options?: HostAddOptions): void;
  addEventListener(type: string, listener: HostListener, options?: HostAddOptions): void;
}

export function openIndexedDBStorage(name: string, indexedDB?: HostInstance<'IDBFactory', object>): Promise<RaftStorage>;
export function deleteIndexedDBStorage(name: string, indexedDB?: HostInstance<'IDBFactory', object>): Promise<void>;

// Only the names exported above are the package's: the host helpers stay private.
export {};
