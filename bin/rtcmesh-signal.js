#!/usr/bin/env node
// npx rtcmesh-signal [--port N] [--host H] [--origin URL ...]
// Environment: PORT (or RTCMESH_SIGNAL_PORT), RTCMESH_SIGNAL_HOST,
// RTCMESH_ALLOWED_ORIGINS (comma-separated).
import { parseArgs } from 'node:util';
import { startSignalServer } from '../js/signal/server.js';

const usage = 'usage: rtcmesh-signal [--port N] [--host 127.0.0.1] [--origin https://app.example ...]';

function options() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      origin: { type: 'string', multiple: true },
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
    log: (line) => console.log(line),
  };
}

try {
  const server = await startSignalServer(options());
  console.log(`rtcmesh signaling server: ${server.url}`);
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  console.error(`rtcmesh-signal: ${error.message}\n${usage}`);
  process.exit(1);
}
