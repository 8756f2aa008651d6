// The signaling of `npm start`: one in-memory server, or with `cluster` three
// servers (ports port, port+1, port+2; 0 picks free ones) sharing rooms
// through a throwaway local redis-server. Kept apart from start.mjs so that
// tests can run it without a build.
import { startSignalServer } from '../js/signal/server.js';
import { haveRedis, startRedis } from './redis.mjs';

export async function startLocalSignaling({ port = 8787, cluster = false, log = () => {} } = {}) {
  if (!cluster) {
    const server = await startSignalServer({ port, log });
    return { servers: [server], urls: [server.url], redis: null, stop: () => server.close() };
  }
  if (!haveRedis()) throw new Error('--cluster needs redis-server: apt-get install -y redis-server');
  const redis = await startRedis();
  const servers = [];
  try {
    for (let i = 0; i < 3; i++) {
      servers.push(await startSignalServer({ port: port === 0 ? 0 : port + i, redis: redis.url, log: (line) => log(`[${i}] ${line}`) }));
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.close()));
    await redis.stop();
    throw error;
  }
  return {
    servers,
    urls: servers.map((server) => server.url),
    redis,
    stop: async () => {
      await Promise.all(servers.map((server) => server.close()));
      await redis.stop();
    },
  };
}
