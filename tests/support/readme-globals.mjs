// Preloaded into each README block run by the README test: what a browser
// page has and Node 20 lacks, so the README's browser code runs as written.
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';

globalThis.RTCPeerConnection ??= wrtc.RTCPeerConnection;
globalThis.WebSocket ??= WebSocket;
