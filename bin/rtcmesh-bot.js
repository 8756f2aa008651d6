#!/usr/bin/env node
// npx rtcmesh-bot --signal ws://127.0.0.1:8787 --room R [--data DIR] [--id ID] [--ice-server URL ...] [--demo]
// A Node member that joins a room and stays, keeping the room's Raft state
// and ReplicatedMap on disk (js/node/bot.js says how). It needs a WebRTC
// implementation: `npm install @roamhq/wrtc`.
// Environment: RTCMESH_ROOM_SECRET, the room's secret (kept out of `ps`).
// Prints one JSON line per thing that happened; SIGINT/SIGTERM hand the lead
// to a browser, leave the room and exit.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { startBot } from '../js/node/bot.js';

const usage = `usage: rtcmesh-bot --signal ws://127.0.0.1:8787 --room ROOM [--data ./rtcmesh-bot/ROOM] [--id ID]
                   [--ice-server stun:stun.example:3478 ...] [--demo]
--demo: also send the demo page's status reports, so its graph and Raft table show the bot
the room's secret, for a room that has one, comes from RTCMESH_ROOM_SECRET`;

function options() {
  const { values } = parseArgs({
    options: {
      signal: { type: 'string', multiple: true },
      room: { type: 'string' },
      data: { type: 'string' },
      id: { type: 'string' },
      'ice-server': { type: 'string', multiple: true },
      demo: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  if (!values.signal?.length || !values.room) throw new Error('--signal and --room are needed');
  return {
    signal: values.signal.length === 1 ? values.signal[0] : values.signal,
    room: values.room,
    data: values.data ?? join('rtcmesh-bot', encodeURIComponent(values.room)),
    id: values.id,
    secret: process.env.RTCMESH_ROOM_SECRET || undefined,
    demo: values.demo === true,
    mesh: values['ice-server'] ? { iceServers: values['ice-server'].map((urls) => ({ urls })) } : {},
  };
}

async function webrtc() {
  try {
    return (await import('@roamhq/wrtc')).default;
  } catch {
    throw new Error('a WebRTC implementation is needed: npm install @roamhq/wrtc');
  }
}

try {
  const settings = options();
  const wrtc = await webrtc();
  const log = (what) => console.log(JSON.stringify({ at: new Date().toISOString(), ...what }));
  const bot = await startBot({ ...settings, RTCPeerConnection: wrtc.RTCPeerConnection, log });
  const stop = () => bot.close().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`rtcmesh-bot: ${error.message}\n${usage}`);
  process.exit(1);
}
