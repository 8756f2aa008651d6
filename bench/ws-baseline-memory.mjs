// The memory floor for the signaling server's figure in BENCHMARKS.md: a bare
// `ws` server (an http server whose upgrades a WebSocketServer takes, one
// 'message' listener per socket answering each frame with a welcome-sized
// frame) holding C idle connections, with and without the semi-space flag
// rtcmesh-signal runs with. Same reading as bench/signal-cluster-load.mjs:
// growth of the server's RSS from before the first socket to after every
// client has sent one frame and had its answer, after a full collection,
// divided by the connections.
//
//   node bench/ws-baseline-memory.mjs [clients=2000]
import http from 'node:http';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';

const WELCOME = JSON.stringify({ type: 'welcome', room: 'room-1', peer: 'peer-1', peers: [], token: 'x'.repeat(24), resumed: false });

function serve() {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => {
    ws.on('message', () => ws.send(WELCOME));
  }));
  server.listen(0, '127.0.0.1', () => console.log(`listening ws://127.0.0.1:${server.address().port}`));
}

/** RSS growth per idle connection of a bare ws server run with `nodeFlags`. */
export async function wsBaselineMemory(clients = 2000, nodeFlags = []) {
  const preload = new URL('./gc-on-signal.mjs', import.meta.url).href;
  const child = spawn(process.execPath, [...nodeFlags, '--expose-gc', '--import', preload, fileURLToPath(import.meta.url), '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const url = await new Promise((resolve) => child.stdout.on('data', (chunk) => {
    output += chunk;
    const match = /listening (ws:\S+)/.exec(output);
    if (match) resolve(match[1]);
  }));
  const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) * 1024;
  const collected = () => new Promise((resolve) => {
    const onData = (chunk) => {
      if (!/rtcmesh-bench-memory/.test(String(chunk))) return;
      child.stdout.off('data', onData);
      resolve(rss());
    };
    child.stdout.on('data', onData);
    child.kill('SIGUSR2');
  });
  const sockets = [];
  try {
    const before = await collected();
    for (let i = 0; i < clients; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, clients - i) }, () => new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        sockets.push(ws);
        ws.once('open', resolve);
        ws.once('error', reject);
      })));
    }
    for (let i = 0; i < clients; i += 50) {
      await Promise.all(sockets.slice(i, i + 50).map((ws, k) => new Promise((resolve) => {
        ws.once('message', resolve);
        ws.send(JSON.stringify({ type: 'join', room: `room-${(i + k) % 200}`, peer: `peer-${i + k}` }));
      })));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    return Math.round((await collected() - before) / clients);
  } finally {
    for (const ws of sockets) ws.terminate();
    child.kill('SIGKILL');
  }
}

if (process.argv.includes('--serve')) {
  serve();
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const clients = Number(process.argv[2] ?? 2000);
  const plain = await wsBaselineMemory(clients, []);
  const bounded = await wsBaselineMemory(clients, ['--max-semi-space-size=2']);
  console.log(JSON.stringify({ clients, bytesPerIdleConnection: plain, withSemiSpace2: bounded }));
}
