// Compiled (never run) by tests/node/types.test.mjs under NodeNext, Node16 and
// Bundler resolution: `rtcmesh/signal-server` must resolve to its declarations.
import { SignalServer, defaultLimits, isLoopbackOrigin, startSignalServer } from 'rtcmesh/signal-server';
import type { SignalErrorCode, SignalServerOptions } from 'rtcmesh/signal-server';

async function serve(): Promise<void> {
  const options: SignalServerOptions = {
    port: 8787,
    host: '0.0.0.0',
    allowedOrigins: ['https://app.example'],
    redis: 'redis://127.0.0.1:6379',
    limits: { maxPeersPerRoom: 32, messageBurst: defaultLimits.messageBurst * 2 },
    turn: { urls: ['turn:turn.example:3478', 'turns:turn.example:5349'], secret: 'shared', lifetimeSeconds: 3600 },
    log: (line) => void line, // no console: it is not in lib ES2022 without @types/node
  };
  const server: SignalServer = await startSignalServer(options);
  const url: string = server.url;
  const peers: string[] = server.peersIn('room');
  const forwarded: number = server.stats.framesForwarded;
  const code: SignalErrorCode = 'id-taken';
  const lifetime: number | undefined = server.turn?.lifetimeSeconds;
  void lifetime;
  void [url, peers, forwarded, code, isLoopbackOrigin('http://localhost:8080'), SignalServer.bindWarning('0.0.0.0', null)];
  await server.close();
}
void serve;

// @ts-expect-error: limits are numbers
void startSignalServer({ limits: { maxRooms: 'many' } });
// @ts-expect-error: an unknown option
void startSignalServer({ prot: 8787 });
// @ts-expect-error: turn needs its secret
void startSignalServer({ turn: { urls: 'turn:turn.example:3478' } });
