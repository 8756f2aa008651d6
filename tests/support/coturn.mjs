// A throwaway TURN server for tests: Debian's coturn (`turnserver`, package
// coturn; .ci/run and tools/ensure-test-deps.sh install it) on a free
// loopback port, with the TURN REST API's shared secret, no TLS, nothing
// written outside its own temporary folder. Modelled on tools/redis.mjs:
// readiness is awaited (bounded), and stop() kills it.
//
//   const turn = await startCoturn({ secret: 's3cret' });
//   turn.url          // 'turn:127.0.0.1:PORT?transport=udp'
//   await turn.stop();
//   // a restart: the same port and secret, so clients' URLs and credentials hold
//   const again = await startCoturn({ secret: 's3cret', port: turn.port });
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';

export function haveCoturn() {
  try {
    execFileSync('turnserver', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Killed when this process ends, whatever way it ends, if not stopped before.
const running = new Set();
process.on('exit', () => { for (const child of running) child.kill('SIGKILL'); });

/** The reason to skip TURN tests, or false when coturn is installed. */
export const skipWithoutCoturn = haveCoturn() ? false : 'coturn is not installed (apt-get install -y coturn)';

async function bindsOn(port) {
  const tcp = net.createServer();
  const udp = dgram.createSocket('udp4');
  try {
    await new Promise((resolve, reject) => { tcp.once('error', reject); tcp.listen(port, '127.0.0.1', resolve); });
    await new Promise((resolve, reject) => { udp.once('error', reject); udp.bind(port, '127.0.0.1', resolve); });
    return true;
  } catch {
    return false;
  } finally {
    if (tcp.listening) await new Promise((resolve) => tcp.close(resolve));
    try { udp.close(); } catch { /* never bound */ }
  }
}

/** A port free for both TCP and UDP on 127.0.0.1 a moment ago (TURN listens on both). */
async function freeTurnPort() {
  for (let i = 0; i < 50; i++) {
    const server = net.createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    await new Promise((resolve) => server.close(resolve));
    if (await bindsOn(port)) return port;
  }
  throw new Error('no port free for both TCP and UDP on 127.0.0.1');
}

// A STUN Binding request (RFC 5389: type 0x0001, length 0, magic cookie,
// 12-byte transaction id). Any answer with the same id means coturn serves.
function bindingRequest() {
  const message = Buffer.alloc(20);
  message.writeUInt16BE(0x0001, 0);
  message.writeUInt16BE(0, 2);
  message.writeUInt32BE(0x2112a442, 4);
  randomBytes(12).copy(message, 8);
  return message;
}

async function answersStun(port, timeoutMs) {
  const socket = dgram.createSocket('udp4');
  const request = bindingRequest();
  try {
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      socket.on('message', (reply) => {
        if (reply.length >= 20 && reply.subarray(8, 20).equals(request.subarray(8, 20))) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      socket.on('error', () => { clearTimeout(timer); resolve(false); });
      socket.send(request, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/**
 * Starts turnserver; resolves once it answers a STUN Binding request on its
 * port (within `readyTimeoutMs`), with { url, urls, port, realm, secret,
 * output(), stop() }. `port`: listen there (a stopped server's, to restart
 * it) instead of on a free one.
 */
export async function startCoturn({ secret = randomBytes(16).toString('hex'), realm = 'rtcmesh.test', readyTimeoutMs = 10000, port: wanted } = {}) {
  const port = wanted ?? await freeTurnPort();
  const dir = mkdtempSync(join(tmpdir(), 'rtcmesh-coturn-'));
  const args = [
    '-n', // no configuration file
    '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
    '--use-auth-secret', `--static-auth-secret=${secret}`, `--realm=${realm}`,
    '--no-tls', '--no-dtls', '--no-cli',
    // Every test peer is on 127.0.0.1: without this coturn refuses to relay to it.
    '--allow-loopback-peers',
    // Verbose: the tests read its log for the sessions it allocated and refused.
    '--log-file=stdout', '--simple-log', '--verbose',
    `--pidfile=${join(dir, 'turnserver.pid')}`, `--userdb=${join(dir, 'turndb')}`,
  ];
  const child = spawn('turnserver', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const collect = (chunk) => { output = (output + chunk).slice(-4_000_000); };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited = null;
  child.once('exit', (code, signal) => { exited = { code, signal }; running.delete(child); });
  const stop = () => new Promise((resolve) => {
    const done = () => { rmSync(dir, { recursive: true, force: true }); resolve(); };
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', done);
    child.kill('SIGKILL');
  });
  try {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (exited) throw new Error(`turnserver exited (${exited.code ?? exited.signal}) before it served:\n${output}`);
      if (await answersStun(port, 200)) break;
      if (Date.now() > deadline) throw new Error(`turnserver did not answer STUN on 127.0.0.1:${port} within ${readyTimeoutMs} ms:\n${output}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const url = `turn:127.0.0.1:${port}?transport=udp`;
  return { url, urls: [url], port, realm, secret, output: () => output, stop };
}
