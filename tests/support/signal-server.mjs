// A signaling server per test, with recording WebSocket clients that are all
// cut off when the test ends.
//
// RTCMESH_SIGNAL_SERVER=/path/to/server.js runs the tests against another
// build of the server: that is how each attack test was shown to bite (run
// against main's server, or this one with the protection's limit lifted).
import { pathToFileURL } from 'node:url';
import { RecordingClient } from './ws-client.mjs';

const serverModule = process.env.RTCMESH_SIGNAL_SERVER
  ? pathToFileURL(process.env.RTCMESH_SIGNAL_SERVER).href
  : new URL('../../js/signal/server.js', import.meta.url).href;

export const { startSignalServer } = await import(serverModule);

export async function withServer(options, body) {
  const server = await startSignalServer(options);
  const clients = [];
  const connect = async (opts) => {
    const client = await RecordingClient.connect(server.url, opts);
    clients.push(client);
    return client;
  };
  try {
    await body({ server, connect });
  } finally {
    for (const client of clients) client.socket.terminate();
    await server.close();
  }
}

/** Sends a marker to itself and waits for it: everything sent before has been handled. */
export async function roundTrip(client, peer, timeoutMs = 5000) {
  const marker = `marker-${Math.random()}`;
  client.send({ type: 'signal', to: peer, data: marker });
  await client.next('signal', { timeoutMs, where: (f) => f.data === marker });
}
