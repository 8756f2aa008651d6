#!/usr/bin/env -S node --max-semi-space-size=2
// --max-semi-space-size=2 (MiB): V8 otherwise grows its young generation to
// 16 MiB per semi-space under a burst of joins and keeps it, which was more
// than half of the server's memory per idle connection; the signaling
// server's objects are few and long-lived, so scavenges stay short. Servers
// started as `node bin/rtcmesh-signal.js` get the same from
// `node --max-semi-space-size=2` or NODE_OPTIONS (tools/signal-cluster.mjs
// reads the flags from this line).
// npx rtcmesh-signal [--port N] [--host H] [--origin URL ...] [--redis redis://...] [--limit name=value ...]
// Environment: PORT (or RTCMESH_SIGNAL_PORT), RTCMESH_SIGNAL_HOST,
// RTCMESH_ALLOWED_ORIGINS (comma-separated), RTCMESH_REDIS_URL.
import { parseArgs } from 'node:util';
import { startSignalServer } from '../js/signal/server.js';
import { defaultLimits } from '../js/signal/limits.js';

const usage = `usage: rtcmesh-signal [--port 8787] [--host 127.0.0.1] [--origin https://app.example ...]
                      [--redis redis://127.0.0.1:6379] [--limit name=value ...]
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

function options() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      origin: { type: 'string', multiple: true },
      redis: { type: 'string' },
      limit: { type: 'string', multiple: true },
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
    log: (line) => console.log(line),
  };
}

try {
  const server = await startSignalServer(options());
  console.log(`rtcmesh signaling server: ${server.url}${server.options.redis ? ` (cluster node ${server.hub.nodeId})` : ''}`);
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  console.error(`rtcmesh-signal: ${error.message}\n${usage}`);
  process.exit(1);
}
