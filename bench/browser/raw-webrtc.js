// Page-side benchmark bodies: raw RTCDataChannel (the limit) and simple-peer
// (what users would otherwise pick), two peers inside one page.
// Each function resolves to plain numbers; the Node side formats the tables.

export function connectPair({ label = 'bench' } = {}) {
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = ({ candidate }) => candidate && b.addIceCandidate(candidate);
  b.onicecandidate = ({ candidate }) => candidate && a.addIceCandidate(candidate);
  const sender = a.createDataChannel(label);
  sender.binaryType = 'arraybuffer';
  const receiver = new Promise((resolve) => {
    b.ondatachannel = ({ channel }) => {
      channel.binaryType = 'arraybuffer';
      resolve(channel);
    };
  });
  const opened = new Promise((resolve) => { sender.onopen = resolve; });
  return (async () => {
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription);
    await opened;
    return { a, b, sender, receiver: await receiver, close: () => { a.close(); b.close(); } };
  })();
}

/**
 * Raw throughput with bufferedAmountLowThreshold backpressure: sends while
 * `bufferedAmount` is at most `highWater`, then waits for `bufferedamountlow`
 * (fired when it falls to `lowThreshold`). The benchmark sweeps all three to
 * find the fastest configuration (Chromium closes a channel whose buffer
 * would pass 16 MiB, so `highWater` + `messageBytes` stays under that).
 */
export async function rawThroughput({
  messageBytes = 65536, totalBytes = 256 * 1024 * 1024, lowThreshold = 1024 * 1024, highWater = 4 * 1024 * 1024,
} = {}) {
  const pair = await connectPair();
  const payload = new Uint8Array(messageBytes);
  const messages = Math.ceil(totalBytes / messageBytes);
  pair.sender.bufferedAmountLowThreshold = lowThreshold;
  let received = 0;
  const done = new Promise((resolve) => {
    pair.receiver.onmessage = ({ data }) => {
      received += data.byteLength;
      if (received >= messages * messageBytes) resolve();
    };
  });
  const start = performance.now();
  for (let sent = 0; sent < messages; sent++) {
    if (pair.sender.bufferedAmount > highWater) {
      await new Promise((resolve) => { pair.sender.onbufferedamountlow = resolve; });
    }
    pair.sender.send(payload);
  }
  await done;
  const seconds = (performance.now() - start) / 1000;
  pair.close();
  return { bytes: received, seconds, mbPerSecond: received / seconds / 1e6 };
}

/** Ping-pong of small messages; returns the round-trip percentiles in ms. */
export async function rawLatency({ rounds = 10000, size = 100 } = {}) {
  const pair = await connectPair();
  pair.receiver.onmessage = ({ data }) => pair.receiver.send(data);
  const payload = new Uint8Array(size);
  const samples = new Float64Array(rounds);
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await new Promise((resolve) => {
      pair.sender.onmessage = resolve;
      pair.sender.send(payload);
    });
    samples[i] = performance.now() - start;
  }
  pair.close();
  return percentiles(samples);
}

export function percentiles(samples) {
  const sorted = Float64Array.from(samples).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), count: sorted.length };
}

/** Time until every pair of n peers has an open channel, made pairwise by hand. */
export async function rawMeshFormation(n) {
  const start = performance.now();
  const pairs = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push(connectPair({ label: `${i}-${j}` }));
  const connected = await Promise.all(pairs);
  const ms = performance.now() - start;
  connected.forEach((pair) => pair.close());
  return { peers: n, channels: connected.length, ms };
}

/** simple-peer, as its README shows, with its own backpressure via write(). */
export async function simplePeerThroughput({ messageBytes = 65536, totalBytes = 256 * 1024 * 1024 } = {}) {
  const SimplePeer = globalThis.SimplePeer;
  const a = new SimplePeer({ initiator: true, trickle: true });
  const b = new SimplePeer({ trickle: true });
  a.on('signal', (data) => b.signal(data));
  b.on('signal', (data) => a.signal(data));
  await Promise.all([new Promise((r) => a.on('connect', r)), new Promise((r) => b.on('connect', r))]);
  const messages = Math.ceil(totalBytes / messageBytes);
  const payload = new Uint8Array(messageBytes);
  let received = 0;
  const done = new Promise((resolve) => {
    b.on('data', (data) => {
      received += data.byteLength;
      if (received >= messages * messageBytes) resolve();
    });
  });
  const start = performance.now();
  for (let sent = 0; sent < messages; sent++) {
    // write() returns false when the stream's buffer is full: wait for drain.
    if (!a.write(payload)) await new Promise((resolve) => a.once('drain', resolve));
  }
  await done;
  const seconds = (performance.now() - start) / 1000;
  a.destroy();
  b.destroy();
  return { bytes: received, seconds, mbPerSecond: received / seconds / 1e6 };
}

/** One large message to `receivers` peers over raw channels, chunked by hand, with the same backpressure as rawThroughput. */
export async function rawLargeMessage({
  bytes = 16 * 1024 * 1024, receivers = 3, chunkBytes = 65536, lowThreshold = 1024 * 1024, highWater = 4 * 1024 * 1024,
} = {}) {
  const pairs = await Promise.all(Array.from({ length: receivers }, (_, i) => connectPair({ label: `large-${i}` })));
  const message = new Uint8Array(bytes);
  const start = performance.now();
  const arrived = pairs.map((pair) => new Promise((resolve) => {
    const assembled = new Uint8Array(bytes);
    let offset = 0;
    pair.receiver.onmessage = ({ data }) => {
      assembled.set(new Uint8Array(data), offset);
      offset += data.byteLength;
      if (offset >= bytes) resolve(offset);
    };
  }));
  await Promise.all(pairs.map(async ({ sender }) => {
    sender.bufferedAmountLowThreshold = lowThreshold;
    for (let offset = 0; offset < bytes; offset += chunkBytes) {
      if (sender.bufferedAmount > highWater) {
        await new Promise((resolve) => { sender.onbufferedamountlow = resolve; });
      }
      sender.send(message.subarray(offset, Math.min(bytes, offset + chunkBytes)));
    }
  }));
  await Promise.all(arrived);
  const ms = performance.now() - start;
  pairs.forEach((pair) => pair.close());
  return { bytes, receivers, chunkBytes, lowThreshold, highWater, ms };
}
