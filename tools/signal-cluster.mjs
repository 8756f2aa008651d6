// A local signaling cluster: one throwaway redis-server and N rtcmesh-signal
// processes sharing it, all on loopback. Used by the cluster tests, the
// cluster bench and `npm start -- --cluster`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startRedis } from './redis.mjs';

const bin = fileURLToPath(new URL('../bin/rtcmesh-signal.js', import.meta.url));
// The Node flags of the bin's shebang, so that spawned servers run as
// `npx rtcmesh-signal` runs them.
export const binNodeFlags = /^#!.*\bnode((?:\s+--\S+)*)\s*$/m.exec(readFileSync(bin, 'utf8').split('\n')[0])?.[1].trim().split(/\s+/).filter(Boolean) ?? [];

/** Starts one rtcmesh-signal process; resolves with { url, child, stop() } once it listens. */
export async function startSignalProcess({ redis, port = 0, limits = {}, args = [], nodeArgs = [] } = {}) {
  const limitArgs = Object.entries(limits).flatMap(([name, value]) => ['--limit', `${name}=${value}`]);
  const child = spawn(process.execPath, [...binNodeFlags, ...nodeArgs, bin, '--port', String(port), ...(redis ? ['--redis', redis] : []), ...limitArgs, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rtcmesh-signal did not start within 10 s:\n${output}`)), 10000);
    const onData = (chunk) => {
      output += chunk;
      const match = /rtcmesh signaling server: (ws:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rtcmesh-signal exited with ${code}:\n${output}`));
    });
  });
  child.stdout.resume();
  child.stderr.resume();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url,
    child,
    pid: child.pid,
    /** SIGTERM (a clean stop) or SIGKILL (a crash); resolves when it has exited. */
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Starts redis-server and `count` server processes on it. */
export async function startSignalCluster({ count = 3, limits = {}, ports = [], nodeArgs = [], args = [] } = {}) {
  const redis = await startRedis();
  const nodes = [];
  try {
    for (let i = 0; i < count; i++) nodes.push(await startSignalProcess({ redis: redis.url, port: ports[i] ?? 0, limits, nodeArgs, args }));
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await redis.stop();
    throw error;
  }
  return {
    redis,
    nodes,
    urls: nodes.map((node) => node.url),
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
      await redis.stop();
    },
  };
}
