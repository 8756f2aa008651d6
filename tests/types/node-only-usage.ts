// Compiled (never run) by tests/node/types.test.mjs under Node resolution
// (the "node" export condition): what only the Node entries export.
import { Raft, openFileStorage, startBot } from 'rtcmesh';
import * as lazy from 'rtcmesh/async';

declare const wrtc: { RTCPeerConnection: new (configuration?: object) => object };

async function bot(): Promise<void> {
  const storage = await openFileStorage('/var/lib/room');
  const raft = await Raft.open({ storage, keeper: true });
  const started = await startBot({ signal: 'ws://127.0.0.1:8787', room: 'r', data: '/tmp/bot', RTCPeerConnection: wrtc.RTCPeerConnection, demo: true });
  void [raft, started.map.get('k'), started.id, started.raft.role, lazy.startBot, lazy.openFileStorage];
  await started.close();
  await storage.close();
}
void bot;

// @ts-expect-error: a bot needs its data folder
void startBot({ signal: 'ws://x', room: 'r', RTCPeerConnection: wrtc.RTCPeerConnection });
