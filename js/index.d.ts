// Type declarations of rtcmesh's public API (browsers and Node alike).
// tests/types/usage.ts is compiled against this file by the test suite.

/** Resolves to the instantiated wasm core (the package's import already awaits it). */
export function loadCore(): Promise<unknown>;

// ---------------------------------------------------------------- RTCMesh

export interface RTCMeshOptions {
  /** This node's address (1..256 characters). */
  id: string;
  /** Every node of the network; may include `id`. More can be added with addPeer(). */
  peers?: string[];
  /** Data channel label, for devtools. */
  label?: string;
  iceServers?: RTCIceServer[];
  /** Route around broken links through a common peer (default true). */
  relay?: boolean;
  /** Largest message accepted by send/broadcast (default 64 MiB). */
  maxMessageBytes?: number;
  /** Unacknowledged bytes per peer before send() throws `queue_full` (default 128 MiB). */
  maxQueuedBytesPerPeer?: number;
  /** Most peers per mesh (default 64). */
  maxPeers?: number;
  /** The RTCPeerConnection implementation; in Node, @roamhq/wrtc's. */
  RTCPeerConnection?: typeof RTCPeerConnection;
  /** Seed of the core's randomness, for reproducible runs. */
  seed?: number;
}

export interface RTCMeshJoinOptions extends Omit<RTCMeshOptions, 'id' | 'peers'> {
  /** Defaults to a random UUID. */
  id?: string;
  /** The WebSocket implementation; in Node, the "ws" package's. */
  WebSocket?: unknown;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

export type RTCMeshReadyState = 'new' | 'connecting' | 'open' | 'closing' | 'closed';

export type RTCMeshErrorCode =
  | 'bad_argument' | 'unknown_peer' | 'bad_sdp' | 'stale_description' | 'message_too_large'
  | 'queue_full' | 'malformed_frame' | 'reassembly_limit' | 'too_many_peers' | 'closed'
  | 'gave_up' | 'operation_failed';

export interface RTCMeshEventMap {
  offer: CustomEvent<{ peer: string; sdp: string }>;
  answer: CustomEvent<{ peer: string; sdp: string }>;
  icecandidate: CustomEvent<{ peer: string; candidate: RTCIceCandidateInit | null }>;
  disconnected: CustomEvent<{ peer: string }>;
  failed: CustomEvent<{ peer: string; reason: string }>;
  reconnecting: CustomEvent<{ peer: string; attempt: number }>;
  icerestart: CustomEvent<{ peer: string }>;
  addchannel: CustomEvent<{ peer: string }>;
  removechannel: CustomEvent<{ peer: string }>;
  relay: CustomEvent<{ peer: string; via: string | null }>;
  bufferedamountlow: CustomEvent<{ peer: string }>;
  peeradded: CustomEvent<{ peer: string }>;
  peerremoved: CustomEvent<{ peer: string }>;
  /** `data` is a string or an ArrayBuffer; `origin` is the sender's id. */
  message: MessageEvent<string | ArrayBuffer>;
  error: CustomEvent<{ peer: string | null; code: string; message: string }>;
  close: CustomEvent<Record<string, never>>;
}

export class RTCMeshError extends Error {
  readonly code: RTCMeshErrorCode;
}

export class RTCMesh extends EventTarget {
  constructor(options: RTCMeshOptions);
  /** Joins a room on an rtcmesh signaling server; the mesh follows its members. */
  static join(url: string, room: string, options?: RTCMeshJoinOptions): Promise<RTCMesh & { signaling: SignalClient }>;

  readonly id: string;
  readonly label: string;
  readonly peers: string[];
  readonly closed: boolean;
  readonly openPeerConnections: number;
  bufferedAmountLowThreshold: number;

  createOffer(peer: string): void;
  createAnswer(peer: string, offer: string | RTCSessionDescriptionInit): void;
  addAnswer(peer: string, answer: string | RTCSessionDescriptionInit): void;
  addIceCandidate(peer: string, candidate: RTCIceCandidateInit | string | null): void;
  broadcast(data: string | ArrayBuffer | ArrayBufferView): void;
  send(peer: string, data: string | ArrayBuffer | ArrayBufferView): void;
  readyState(peer: string): RTCMeshReadyState;
  user_channel(peer: string): RTCDataChannel | null;
  bufferedAmount(peer: string): number;
  relayed(peer: string): boolean;
  addPeer(peer: string): void;
  removePeer(peer: string): void;
  /** close(peer) closes one connection; close() closes the mesh. */
  close(peer?: string): void;

  addEventListener<K extends keyof RTCMeshEventMap>(
    type: K, listener: (event: RTCMeshEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof RTCMeshEventMap>(
    type: K, listener: (event: RTCMeshEventMap[K]) => void, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

// ---------------------------------------------------------------- signaling

export interface SignalClientEventMap {
  open: CustomEvent<{ peers: string[] }>;
  peerjoined: CustomEvent<{ peer: string }>;
  peerleft: CustomEvent<{ peer: string }>;
  signal: CustomEvent<{ from: string; data: unknown }>;
  reconnecting: CustomEvent<{ attempt: number; delayMs: number }>;
  error: CustomEvent<{ code: string; message: string }>;
  close: CustomEvent<Record<string, never>>;
}

export class SignalClient extends EventTarget {
  constructor(url: string, room: string, peer: string, options?: { WebSocket?: unknown; reconnectMinMs?: number; reconnectMaxMs?: number });
  readonly url: string;
  readonly room: string;
  readonly peer: string;
  readonly peers: Set<string>;
  ready(): Promise<string[]>;
  signal(to: string, data: unknown): boolean;
  close(): void;
  addEventListener<K extends keyof SignalClientEventMap>(
    type: K, listener: (event: SignalClientEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
}
