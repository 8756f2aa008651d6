#!/usr/bin/env -S node --max-semi-space-size=2
// --max-semi-space-size=2 (MiB): V8 otherwise grows its young generation to
// 16 MiB per semi-space under a burst of joins and keeps it, which was more
// than half of the server's memory per idle connection; the signaling
// server's objects are few and long-lived, so scavenges stay short. Servers
// started as `node bin/rtcmesh-signal.js` get the same from
// `node --max-semi-space-size=2` or NODE_OPTIONS (tools/signal-cluster.mjs
// reads the flags from this line).
// npx rtcmesh-signal [--port N] [--host H] [--origin URL ...] [--redis redis://...] [--limit name=value ...] [--relay]
//                    [--turn-url turn:host:3478 ... --turn-secret S] [--turn-lifetime 3600]
// Environment: PORT (or RTCMESH_SIGNAL_PORT), RTCMESH_SIGNAL_HOST,
// RTCMESH_ALLOWED_ORIGINS (comma-separated), RTCMESH_REDIS_URL,
// RTCMESH_TURN_URLS (comma-separated), RTCMESH_TURN_SECRET (keeps the secret
// out of `ps`), RTCMESH_TURN_LIFETIME (seconds).
import { parseArgs } from 'node:util';
import { startSignalServer } from '../js/signal/server.js';
import { defaultLimits } from '../js/signal/limits.js';
import { DEFAULT_TURN_LIFETIME_SECONDS } from '../js/signal/turn.js';

const usage = `usage: rtcmesh-signal [--port 8787] [--host 127.0.0.1] [--origin https://app.example ...]
                      [--redis redis://127.0.0.1:6379] [--limit name=value ...]
                      [--turn-url turn:turn.example:3478 ... --turn-secret SECRET] [--turn-lifetime ${DEFAULT_TURN_LIFETIME_SECONDS}]
                      [--relay]
relay: forward mesh frames between members that no link reaches (the last-resort
      path), metered by the relay* limits; RTCMESH_SIGNAL_RELAY=1 does the same
turn: with --turn-url and the TURN server's REST API shared secret (better from
      RTCMESH_TURN_SECRET than --turn-secret, which \`ps\` shows), every member's
      welcome carries TURN credentials valid for --turn-lifetime seconds
limits (defaults): ${Object.entries(defaultLimits).map(([name, value]) => `${name}=${value}`).join(' ')}`;

function parseLimits(pairs = []) {
  const limits = {};
  for (const pair of pairs) {
    const match = /^(\w+)=(\d+(?:\.\d+)?)$/.exec(pair);
    if (!match) throw new Error(`--limit takes name=number, got "${pair}"`);
    limits[match[1]] = Number(match[2]);
  }
  return limits;
}

function number(text, what) {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`${what} takes a whole number of seconds, got "${text}"`);
  return Number(text);
}

function turnOptions(values) {
  const urls = values['turn-url'] ?? process.env.RTCMESH_TURN_URLS?.split(',').map((url) => url.trim()).filter(Boolean);
  const secret = values['turn-secret'] ?? process.env.RTCMESH_TURN_SECRET;
  const lifetime = values['turn-lifetime'] ?? process.env.RTCMESH_TURN_LIFETIME;
  if (!urls?.length && !secret) {
    if (lifetime !== undefined) throw new Error('--turn-lifetime needs --turn-url and a TURN secret');
    return null;
  }
  if (!urls?.length) throw new Error('a TURN secret needs --turn-url (or RTCMESH_TURN_URLS)');
  if (!secret) throw new Error('--turn-url needs the TURN server\'s shared secret: RTCMESH_TURN_SECRET (or --turn-secret)');
  return { urls, secret, lifetimeSeconds: number(lifetime, '--turn-lifetime') };
}

function options() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      origin: { type: 'string', multiple: true },
      redis: { type: 'string' },
      limit: { type: 'string', multiple: true },
      'turn-url': { type: 'string', multiple: true },
      'turn-secret': { type: 'string' },
      'turn-lifetime': { type: 'string' },
      relay: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const port = Number(values.port ?? process.env.PORT ?? process.env.RTCMESH_SIGNAL_PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port "${values.port}"`);
  const origins = values.origin ?? process.env.RTCMESH_ALLOWED_ORIGINS?.split(',').filter(Boolean);
  return {
    port,
    host: values.host ?? process.env.RTCMESH_SIGNAL_HOST ?? '127.0.0.1',
    allowedOrigins: origins?.length ? origins : null,
    redis: values.redis ?? process.env.RTCMESH_REDIS_URL ?? null,
    limits: parseLimits(values.limit),
    turn: turnOptions(values),
    relay: values.relay === true || process.env.RTCMESH_SIGNAL_RELAY === '1',
    log: (line) => console.log(line),
  };
}

try {
  const server = await startSignalServer(options());
  const turn = server.turn ? `; TURN credentials for ${server.turn.urls.join(' ')}, valid ${server.turn.lifetimeSeconds} s` : '';
  console.log(`rtcmesh signaling server: ${server.url}${server.options.redis ? ` (cluster node ${server.hub.nodeId})` : ''}${turn}`);
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  console.error(`rtcmesh-signal: ${error.message}\n${usage}`);
  process.exit(1);
}
