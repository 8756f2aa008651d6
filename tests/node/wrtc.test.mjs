// Level 2: a real RTCPeerConnection pair in Node (@roamhq/wrtc) over loopback.
// This is the WebRTC implementation the Node tests of the mesh will inject.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import wrtc from '@roamhq/wrtc';
import { withTimeout } from '../support/wait.mjs';

const { RTCPeerConnection } = wrtc;

test('two RTCPeerConnections connect and exchange a message over a data channel', async () => {
  // No ICE servers: host candidates on loopback are enough and no network is used.
  const offerer = new RTCPeerConnection({ iceServers: [] });
  const answerer = new RTCPeerConnection({ iceServers: [] });
  try {
    offerer.onicecandidate = ({ candidate }) => candidate && answerer.addIceCandidate(candidate);
    answerer.onicecandidate = ({ candidate }) => candidate && offerer.addIceCandidate(candidate);

    const channel = offerer.createDataChannel('smoke');
    const received = new Promise((resolve) => {
      answerer.ondatachannel = ({ channel: remote }) => {
        remote.onmessage = ({ data }) => resolve({ label: remote.label, data });
      };
    });
    const opened = new Promise((resolve) => { channel.onopen = resolve; });

    await offerer.setLocalDescription(await offerer.createOffer());
    await answerer.setRemoteDescription(offerer.localDescription);
    await answerer.setLocalDescription(await answerer.createAnswer());
    await offerer.setRemoteDescription(answerer.localDescription);

    await withTimeout(opened, 10000, 'the data channel to open');
    channel.send('hello over webrtc');
    const message = await withTimeout(received, 10000, 'the message');
    assert.deepEqual(message, { label: 'smoke', data: 'hello over webrtc' });
  } finally {
    offerer.close();
    answerer.close();
  }
});
