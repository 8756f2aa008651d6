// Types of `rtcmesh/signal-server` (Node only).

export interface SignalLimits {
  /** Largest frame accepted (bytes). Past it: error `too-large`, close 1009. Default 65536. */
  maxMessageBytes: number;
  /** Deepest nesting of a signal's `data`. Past it: error `too-deep` (frame refused). Default 32. */
  maxDataDepth: number;
  /** Token bucket per socket: burst. Default 4000. */
  messageBurst: number;
  /** Token bucket per socket: refill per second. Default 400. */
  messagesPerSecond: number;
  /** Frames past the bucket wait, in order, up to this many. Default 1000. */
  maxDelayedMessages: number;
  /** ... and up to this many bytes. Default 1 MiB. */
  maxDelayedBytes: number;
  /** Frames refused (error `rate-limit`) before the socket is closed with 1013. Default 256. */
  maxRefusedMessages: number;
  /** Join frames per socket: burst. Past it: error `join-rate` (refused). Default 5. */
  joinBurst: number;
  /** Join frames per socket: refill per minute. Default 10. */
  joinsPerMinute: number;
  /** Joins from one address: burst. Past it: error `join-rate` (refused). Default 128. */
  ipJoinBurst: number;
  /** Joins from one address: refill per minute. Default 600. */
  ipJoinsPerMinute: number;
  /** A receiver whose send queue passes this is dropped: close 4002 `slow-reader`. Default 1 MiB. */
  maxSendQueueBytes: number;
  /** Last-resort path: largest relayed mesh frame, decoded. Past it: error `too-large` (not fatal). Default 40 KiB. */
  relayMaxFrameBytes: number;
  /** Last-resort path: relayed bytes per socket, burst. Past it: error `relay-limit`, frame dropped. Default 1 MiB. */
  relayBurstBytes: number;
  /** Last-resort path: relayed bytes per socket, refill per second. Default 256 KiB. */
  relayBytesPerSecond: number;
  /** An unjoined socket is closed after this: error `join-timeout`, close 4001. Default 10000. */
  joinTimeoutMs: number;
  /** A TCP connection that is not a WebSocket by then is dropped. Default 5000. */
  handshakeTimeoutMs: number;
  /** Sockets from one address. Past it: error `too-many-sockets`, close 1013. Default 64. */
  maxSocketsPerIp: number;
  /** Sockets in total. Past it: error `server-full`, close 1013. Default 10000. */
  maxSockets: number;
  /** Rooms in total (per process). Past it: error `too-many-rooms`, close 1013. Default 5000. */
  maxRooms: number;
  /** Members per room. Past it: error `room-full`, close 1008. Default 64. */
  maxPeersPerRoom: number;
  /** Ping interval; a socket that misses a pong is dropped. Default 30000. */
  heartbeatIntervalMs: number;
  /** A dropped member's id is held for its resume token this long. Default 30000. */
  resumeGraceMs: number;
  /** Cluster only: a crashed process's members leave within this (plus one refresh). Default 15000. */
  presenceTtlMs: number;
  /** Cluster only: how often a process renews its members' presence. Default 5000. */
  presenceRefreshMs: number;
}

export const defaultLimits: Readonly<SignalLimits>;

export type SignalErrorCode =
  | 'bad-json' | 'bad-frame' | 'too-deep' | 'unknown-type' | 'not-joined' | 'already-joined'
  | 'id-taken' | 'unknown-peer' | 'peer-away' | 'room-full' | 'too-large' | 'rate-limit' | 'join-rate'
  | 'too-many-sockets' | 'server-full' | 'too-many-rooms' | 'join-timeout' | 'slow-reader'
  | 'origin-refused' | 'replaced' | 'shutdown' | 'internal';

/**
 * Time-limited TURN credentials for every member (the TURN REST API scheme
 * coturn checks with `--use-auth-secret --static-auth-secret`): username
 * `"<unix expiry>:<member id>"`, credential base64(HMAC-SHA1(secret, username)).
 */
export interface SignalTurnOptions {
  /** turn:, turns: (or stun:, stuns:) URLs of the TURN server(s) sharing `secret`. */
  urls: string | string[];
  /** The TURN server's shared secret (coturn's static-auth-secret). Never sent to clients. */
  secret: string;
  /** How long minted credentials are valid, 60 to 604800. Default 3600. Refreshed at half-life. */
  lifetimeSeconds?: number;
  /** The clock expiries are computed from, in milliseconds. Default Date.now; tests move it. */
  now?: () => number;
}

export interface SignalServerOptions {
  /** 0 picks a free port. Default 0. */
  port?: number;
  /** Default '127.0.0.1'. A non-loopback host with no allowedOrigins prints a warning. */
  host?: string;
  /** Browser Origins let in. Absent: pages from localhost only, plus clients that send no Origin. */
  allowedOrigins?: string[] | null;
  /** A redis:// URL: share rooms with every other server process on the same Redis. */
  redis?: string | null;
  /** Overrides of defaultLimits. An unknown name or a non-positive value throws. */
  limits?: Partial<SignalLimits>;
  /**
   * Mint TURN credentials into every welcome (and send fresh ones before
   * they are half spent). Bad values throw a TypeError / RangeError with
   * code `bad_argument`.
   */
  turn?: SignalTurnOptions | null;
  /**
   * The last-resort path: forward mesh frames between members of a room that
   * no link reaches, metered by the relay* limits. Default false (error
   * `relay-off`).
   */
  relay?: boolean;
  /** Where log lines (and the bind warning) go. */
  log?: (line: string) => void;
  /** Cluster only: this process's id in Redis. Default: a random UUID. */
  nodeId?: string;
}

export interface SignalServerStats {
  connections: number;
  framesIn: number;
  framesForwarded: number;
  errors: number;
  refused: number;
  slowReaders: number;
  internalErrors: number;
  /** Frames that waited for the token bucket. */
  delayedFrames: number;
  /** Frames refused because the bucket's wait queue was full. */
  refusedFrames: number;
  /** Mesh frame bytes forwarded on the last-resort path. */
  relayedBytes: number;
  /** Relay frames dropped past the relay byte rate. */
  relayRefused: number;
}

export class SignalServer {
  constructor(options?: SignalServerOptions);
  /** Listens; resolves with the server once `url` is set. */
  start(): Promise<this>;
  /** Closes every socket (1001 "shutdown"; members are held for their grace period) and stops. */
  close(): Promise<void>;
  /** Peers present in `room`, as this process sees them. */
  peersIn(room: string): string[];
  /** ws://host:port */
  readonly url: string;
  readonly limits: Readonly<SignalLimits>;
  /** The resolved `turn` option, or null. */
  readonly turn: Readonly<Required<Omit<SignalTurnOptions, 'urls'>> & { urls: readonly string[] }> | null;
  readonly stats: SignalServerStats;
  readonly socketCount: number;
  /** The bind warning printed at start, if any. */
  readonly warning: string | null;
  static bindWarning(host: string, allowedOrigins: string[] | null | undefined): string | null;
}

/** Creates and starts a server; resolves once it listens (see `server.url`). */
export function startSignalServer(options?: SignalServerOptions): Promise<SignalServer>;

/** Whether a browser Origin is a page served from this machine (http(s) on localhost / 127.x / ::1). */
export function isLoopbackOrigin(origin: string): boolean;
