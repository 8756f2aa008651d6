// Argument checks for RTCMesh.addTrack / removeTrack: which track, which
// streams, and for which peer. The core decides where a track goes
// (src/core/mesh/media_tracks.hpp); the shim holds it (js/shim/media-host.js).
import { argumentError, describe } from './values.js';

const isTrack = (value) => typeof value === 'object' && value !== null && (value.kind === 'audio' || value.kind === 'video') &&
  typeof value.stop === 'function';
const isStream = (value) => typeof value === 'object' && value !== null && typeof value.getTracks === 'function';

/** addTrack(track, ...streams[, { peer }]) -> { track, streams, peer } */
export function trackArguments(track, rest) {
  if (!isTrack(track)) throw argumentError(`RTCMesh.addTrack: track must be an audio or video MediaStreamTrack, got ${describe(track)}`);
  if (track.readyState === 'ended') throw argumentError('RTCMesh.addTrack: the track has ended; add a live one');
  const streams = [...rest];
  let peer = null;
  const last = streams[streams.length - 1];
  if (streams.length > 0 && !isStream(last)) {
    streams.pop();
    if (typeof last !== 'object' || last === null) throw argumentError(`RTCMesh.addTrack: after the track come MediaStreams and then options, got ${describe(last)}`);
    if (last.peer !== undefined && (typeof last.peer !== 'string' || last.peer === '')) {
      throw argumentError(`RTCMesh.addTrack: options.peer must be a non-empty string, got ${describe(last.peer)}`);
    }
    peer = last.peer ?? null;
  }
  streams.forEach((stream, index) => {
    if (!isStream(stream)) throw argumentError(`RTCMesh.addTrack: streams[${index}] must be a MediaStream, got ${describe(stream)}`);
  });
  return { track, streams, peer };
}
