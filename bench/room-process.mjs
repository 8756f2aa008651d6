// One member of a room in a Node process of its own (@roamhq/wrtc), as each
// page is in a browser: forked by bench/secret-room.mjs with IPC. It loads
// rtcmesh and says { ready }; on { join: { url, room, id, secret } } it joins
// and says { joined }, then { open: n } whenever its number of open links
// changes; on 'close' it leaves and exits (and when its parent goes).
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import { RTCMesh } from '../js/node/index.js'; // the wasm loads here, before `ready`

let mesh = null;
const shutdown = () => {
  mesh?.close();
  process.exit(0);
};
process.on('disconnect', shutdown);
process.on('message', async (message) => {
  if (message === 'close') return shutdown();
  const { url, room, id, secret } = message.join;
  mesh = await RTCMesh.join(url, room, { id, WebSocket, RTCPeerConnection: wrtc.RTCPeerConnection, ...(secret ? { secret } : {}) });
  process.send({ joined: id });
  let last = -1;
  const report = () => {
    const open = mesh.peers.filter((peer) => mesh.readyState(peer) === 'open').length;
    if (open !== last) process.send({ open: (last = open) });
  };
  for (const type of ['addchannel', 'removechannel', 'peeradded']) mesh.addEventListener(type, report);
  report();
});
process.send({ ready: true });
