// What only Node members have: Raft state on disk and the bot member.
import type { RaftStorage, RTCMesh, Raft, ReplicatedMap, RTCMeshOptions, RaftOptions } from '../index.js';

/**
 * Raft's durable state in a folder (an fsynced journal and a lock file):
 * the Node counterpart of openIndexedDBStorage. Rejects with code
 * "storage_locked" when another live process holds the folder.
 */
export function openFileStorage(folder: string): Promise<RaftStorage & { close(): Promise<void> }>;

export interface BotOptions {
  /** The signaling server's ws:// URL, or several servers sharing rooms. */
  signal: string | string[];
  room: string;
  /** Folder for the Raft state and the bot's id. */
  data: string;
  /** An RTCPeerConnection implementation, e.g. @roamhq/wrtc's. */
  RTCPeerConnection: unknown;
  /** Default: the id kept in `data`, else a new "bot-xxxxxxxx". */
  id?: string;
  /** The room's secret, for a room that has one. */
  secret?: string;
  /** Receives one object per thing that happened (joined, peeradded, leader, error, ...). */
  log?: (what: Record<string, unknown>) => void;
  /** How long to keep retrying a join that can heal (default 60000 ms). */
  joinDeadlineMs?: number;
  mesh?: Partial<RTCMeshOptions>;
  raft?: Partial<RaftOptions>;
  /** Send the demo page's once-a-second status reports, so the demo shows the bot like any member. */
  demo?: boolean;
}

/**
 * A member that joins a room and stays, keeping its Raft log and
 * ReplicatedMap on disk as the room's keeper (RaftOptions.keeper).
 */
export function startBot(options: BotOptions): Promise<{
  id: string;
  mesh: RTCMesh;
  raft: Raft;
  map: ReplicatedMap;
  /** Hands the lead to a browser, leaves the room, releases the storage. */
  close(): Promise<void>;
}>;
