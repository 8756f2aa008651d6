// Argument checks and conversions of RTCMesh's methods: ids, descriptions,
// candidates and payloads, each refused with a TypeError that says what was
// given (code bad_argument).
import { argumentError, bytesOf, describe } from './values.js';

export function requireString(value, what) {
  if (typeof value !== 'string' || value === '') throw argumentError(`RTCMesh: ${what} must be a non-empty string, got ${describe(value)}`);
  return value;
}

export function sdpOf(description, what) {
  if (typeof description === 'string') return description;
  if (description && typeof description.sdp === 'string') return description.sdp;
  throw argumentError(`RTCMesh: ${what} must be an SDP string or an RTCSessionDescriptionInit, got ${describe(description)}`);
}

export function candidateOf(candidate) {
  if (candidate === null || candidate === undefined || candidate === '') return '';
  if (typeof candidate === 'string') {
    // Either JSON of an RTCIceCandidateInit, or a bare "candidate:..." line.
    if (candidate.startsWith('{')) return candidate;
    return JSON.stringify({ candidate, sdpMid: '0', sdpMLineIndex: 0 });
  }
  if (typeof candidate === 'object' && typeof candidate.candidate === 'string') {
    return JSON.stringify({
      candidate: candidate.candidate,
      sdpMid: candidate.sdpMid ?? null,
      sdpMLineIndex: candidate.sdpMLineIndex ?? null,
      usernameFragment: candidate.usernameFragment ?? undefined,
    });
  }
  throw argumentError(`RTCMesh: candidate must be an RTCIceCandidateInit, its JSON, or null, got ${describe(candidate)}`);
}

export function payloadOf(data) {
  return { bytes: bytesOf(data, 'RTCMesh: data'), isText: typeof data === 'string' };
}
