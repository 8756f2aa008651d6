// A hostile signaling server for attack tests: a WebSocket proxy in front of
// the real server that sees every frame both ways and may rewrite or drop
// it, as a compromised server can. `onSignal({ from, to, data })` is called
// for every signal the real server forwards; it returns (or resolves to) the
// data to deliver instead, or `drop` to swallow it; frames keep their order.
// `seen` keeps every signal's data.
import { WebSocketServer, WebSocket } from 'ws';
import wrtc from '@roamhq/wrtc';
import { startSignalServer } from '../../js/signal/server.js';

export const drop = Symbol('drop');
const { RTCPeerConnection } = wrtc;

export async function startHostileServer({ onSignal = () => undefined, serverOptions = {} } = {}) {
  const upstream = await startSignalServer(serverOptions);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const seen = [];
  const relays = []; // the base64 data of every relay frame the real server delivered
  const sockets = new Set();
  const clients = new Map(); // member id -> socket to that member, to inject signals

  wss.on('connection', (client) => {
    const server = new WebSocket(upstream.url);
    sockets.add(client).add(server);
    const pending = [];
    let member = null;
    server.on('open', () => pending.splice(0).forEach((frame) => server.send(frame)));
    client.on('message', (data) => {
      const text = data.toString();
      try {
        const frame = JSON.parse(text);
        if (frame.type === 'join') {
          member = frame.peer;
          clients.set(member, client);
        }
      } catch {
        // not ours to judge: the real server answers it
      }
      if (server.readyState === WebSocket.OPEN) server.send(text);
      else pending.push(text);
    });
    let delivered = Promise.resolve(); // frames go out in order, after any rewrite they wait for
    server.on('message', (data) => {
      let text = data.toString();
      const frame = JSON.parse(text);
      if (frame.type === 'relay') relays.push(frame.data);
      if (frame.type === 'signal') seen.push(frame.data);
      delivered = delivered.then(async () => {
        if (frame.type === 'signal') {
          const replaced = await onSignal({ from: frame.from, to: member, data: frame.data });
          if (replaced === drop) return;
          if (replaced !== undefined) text = JSON.stringify({ ...frame, data: replaced });
        }
        if (client.readyState === WebSocket.OPEN) client.send(text);
      });
    });
    const close = () => {
      client.terminate();
      server.terminate();
    };
    client.on('close', close);
    server.on('close', close);
    client.on('error', close);
    server.on('error', close);
  });

  return {
    url: `ws://127.0.0.1:${wss.address().port}`,
    seen,
    relays,
    upstream, // the real server behind the proxy (its stats)
    /** Delivers `data` to member `to` as a signal from `from`, as the server may. */
    inject(to, from, data) {
      clients.get(to)?.send(JSON.stringify({ type: 'signal', from, data }));
    },
    async close() {
      for (const socket of sockets) socket.terminate();
      await new Promise((resolve) => wss.close(resolve));
      await upstream.close();
    },
  };
}

// The bridge between members "ana" and "ben" (pass it as the server's
// onSignal): the server answers ana's offer with a peer connection of its own
// (@roamhq/wrtc), offers ben another as if from ana, and pipes the two
// channels, rewriting "pay bob 10" into "pay eve 99" on the way. A signal it
// cannot read (a sealed room's) makes it offer ben its own connection anyway.
export function bridge(server) {
  const state = { toAna: null, toBen: null, rewrote: 0, attempts: 0, closed: false };
  const made = [];
  // @roamhq/wrtc can crash the process on calls into a closed connection.
  const live = (pc) => (state.closed || !pc || pc.signalingState === 'closed' ? null : pc);
  const pipe = (from, to) =>
    from.addEventListener('message', ({ data }) => {
      const bytes = Buffer.from(data);
      const at = bytes.indexOf('pay bob 10');
      if (at >= 0) {
        bytes.write('pay eve 99', at);
        state.rewrote++;
      }
      if (to.readyState === 'open') to.send(bytes);
    });
  const channel = (pc) => pc.createDataChannel('rtcmesh', { negotiated: true, id: 0, ordered: true });
  const start = async (offerFromAna) => {
    if (state.closed) return;
    state.attempts++;
    const toAna = (state.toAna = new RTCPeerConnection());
    const toBen = (state.toBen = new RTCPeerConnection());
    made.push(toAna, toBen); // each attempt's: the members retry, and every one must close
    const [a, b] = [channel(toAna), channel(toBen)];
    pipe(a, b);
    pipe(b, a);
    toAna.onicecandidate = ({ candidate }) => candidate && server.inject('ana', 'ben', { kind: 'candidate', candidate: candidate.toJSON() });
    toBen.onicecandidate = ({ candidate }) => candidate && server.inject('ben', 'ana', { kind: 'candidate', candidate: candidate.toJSON() });
    // Each step checks that the test has not closed the connections meanwhile.
    if (offerFromAna) {
      await live(toAna)?.setRemoteDescription({ type: 'offer', sdp: offerFromAna });
      const answer = await live(toAna)?.createAnswer();
      if (answer) await live(toAna)?.setLocalDescription(answer);
      if (live(toAna)) server.inject('ana', 'ben', { kind: 'answer', sdp: toAna.localDescription.sdp });
    }
    const offer = await live(toBen)?.createOffer();
    if (offer) await live(toBen)?.setLocalDescription(offer);
    if (live(toBen)) server.inject('ben', 'ana', { kind: 'offer', sdp: toBen.localDescription.sdp });
  };
  const onSignal = ({ from, to, data }) => {
    const pair = `${from}>${to}`;
    if (pair !== 'ana>ben' && pair !== 'ben>ana') return undefined;
    if (data?.kind === 'offer' && pair === 'ana>ben') start(data.sdp).catch(() => {});
    else if (data?.sealed && state.attempts === 0) start(null).catch(() => {}); // cannot read it: offers ben its own, as ana
    else if (data?.kind === 'answer' && pair === 'ben>ana') live(state.toBen)?.setRemoteDescription({ type: 'answer', sdp: data.sdp }).catch(() => {});
    else if (data?.kind === 'candidate' && data.candidate) live(pair === 'ana>ben' ? state.toAna : state.toBen)?.addIceCandidate(data.candidate).catch(() => {});
    return drop; // ana and ben never hear each other directly
  };
  const close = () => {
    state.closed = true;
    for (const pc of made) {
      pc.onicecandidate = null;
      if (pc.signalingState !== 'closed') pc.close();
    }
  };
  return { state, onSignal, close };
}
