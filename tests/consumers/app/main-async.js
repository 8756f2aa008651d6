// The consumer app through "rtcmesh/async", the entry without top-level
// await. The harness makes this file the app's main.js for that variant.
import { RTCMesh, ready } from 'rtcmesh/async';
import { runPair } from './pair.js';

// Before ready() the constructor must refuse, with code "not_ready".
try {
  new RTCMesh({ id: 'early' });
  document.body.dataset.early = 'constructed before ready()';
} catch (error) {
  document.body.dataset.early = error.code ?? String(error);
}
ready().then((core) => runPair(RTCMesh, core.version()));
