// A member of a room in a Node process of its own (@roamhq/wrtc), to be
// killed (tests/node/killed-member.test.mjs, the peer-left bench): rtcmesh
// (RTCMesh.join) or the raw client the bench's pages use
// (bench/browser/load.js's rawNode, imported as is: its "/js/index.js" is
// mapped to the package's Node entry). Prints "linked N" as its open links
// change, and waits to be killed.
//
//   node tests/support/room-member.mjs rtcmesh|raw ws://127.0.0.1:PORT room id
import { register } from 'node:module';
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';

const nodeEntry = new URL('../../js/node/index.js', import.meta.url).href;
register(`data:text/javascript,${encodeURIComponent(`
  export function resolve(specifier, context, next) {
    return next(specifier === '/js/index.js' ? ${JSON.stringify(nodeEntry)} : specifier, context);
  }`)}`);
// The raw client is written for browsers, whose setLocalDescription() makes
// the offer or answer itself; wrtc's needs it made first.
const setLocal = wrtc.RTCPeerConnection.prototype.setLocalDescription;
wrtc.RTCPeerConnection.prototype.setLocalDescription = async function setLocalDescription(description) {
  if (description) return setLocal.call(this, description);
  return setLocal.call(this, this.signalingState === 'have-remote-offer' ? await this.createAnswer() : await this.createOffer());
};
globalThis.RTCPeerConnection ??= wrtc.RTCPeerConnection;
globalThis.WebSocket ??= WebSocket;

const [kind, url, room, id] = process.argv.slice(2);
let openLinks;
if (kind === 'rtcmesh') {
  const { RTCMesh } = await import('../../js/node/index.js');
  const mesh = await RTCMesh.join(url, room, { id });
  openLinks = () => mesh.peers.filter((peer) => mesh.readyState(peer) === 'open').length;
} else {
  const { rawNode } = await import('../../bench/browser/load.js');
  const node = await rawNode(url, room, id, { receive() {} });
  openLinks = () => node.openLinks();
}
let last = -1;
setInterval(() => {
  const now = openLinks();
  if (now !== last) console.log(`linked ${(last = now)}`);
}, 50);
