// Time-limited TURN credentials, as the "REST API for TURN Services" draft
// (draft-uberti-behave-turn-rest) defines them and coturn checks them with
// `--use-auth-secret --static-auth-secret`:
//
//   username   = "<unix time at which it expires>:<member id>"
//   credential = base64(HMAC-SHA1(shared secret, username))
//
// The server mints them per member, per welcome, and hands them out as
// ready RTCIceServer entries: browsers never see the shared secret. Every
// process of a cluster mints its own from the same secret; the TURN server
// needs nothing but that secret to check them.
import { createHmac } from 'node:crypto';
import { argumentError, describe } from '../api/values.js';

export const DEFAULT_TURN_LIFETIME_SECONDS = 3600;
// Bounds of `lifetimeSeconds`: shorter than a minute risks credentials that
// expire while ICE is still gathering; longer than a week defeats them.
export const MIN_TURN_LIFETIME_SECONDS = 60;
export const MAX_TURN_LIFETIME_SECONDS = 7 * 24 * 3600;

const URL_PATTERN = /^(turns?|stuns?):[^\s]+$/;

/**
 * Checks the server's `turn` option and fills in its defaults. Returns null
 * when there is none; throws a TypeError / RangeError with code
 * `bad_argument` naming what is wrong.
 */
export function resolveTurnOptions(turn) {
  if (turn === undefined || turn === null) return null;
  if (typeof turn !== 'object' || Array.isArray(turn)) throw argumentError(`signaling option "turn" must be an object, got ${describe(turn)}`);
  const urls = typeof turn.urls === 'string' ? [turn.urls] : turn.urls;
  if (!Array.isArray(urls) || urls.length === 0) {
    throw argumentError('signaling option "turn.urls" must be a turn: / turns: URL or a non-empty array of them');
  }
  for (const url of urls) {
    if (typeof url !== 'string' || !URL_PATTERN.test(url)) {
      throw argumentError(`signaling option "turn.urls": ${describe(url)} is not a turn:, turns:, stun: or stuns: URL`);
    }
  }
  if (typeof turn.secret !== 'string' || turn.secret === '') {
    throw argumentError('signaling option "turn.secret" must be the TURN server\'s shared secret (a non-empty string)');
  }
  const lifetimeSeconds = turn.lifetimeSeconds ?? DEFAULT_TURN_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < MIN_TURN_LIFETIME_SECONDS || lifetimeSeconds > MAX_TURN_LIFETIME_SECONDS) {
    throw argumentError(
      `signaling option "turn.lifetimeSeconds" must be a whole number of seconds from ${MIN_TURN_LIFETIME_SECONDS} to ${MAX_TURN_LIFETIME_SECONDS}, got ${typeof lifetimeSeconds === 'number' ? lifetimeSeconds : describe(lifetimeSeconds)}`,
      RangeError,
    );
  }
  const now = turn.now ?? Date.now;
  if (typeof now !== 'function') throw argumentError('signaling option "turn.now" must be a function returning milliseconds');
  return Object.freeze({ urls: Object.freeze([...urls]), secret: turn.secret, lifetimeSeconds, now });
}

/** The REST API password of `username`: base64(HMAC-SHA1(secret, username)). */
export function turnPassword(secret, username) {
  return createHmac('sha1', secret).update(username).digest('base64');
}

/**
 * An RTCIceServer entry for member `id`, valid for `lifetimeSeconds` from
 * `now()`: { urls, username, credential }. `turn` is resolveTurnOptions()'s.
 */
export function mintTurnCredentials(turn, id) {
  const expires = Math.floor(turn.now() / 1000) + turn.lifetimeSeconds;
  const username = `${expires}:${id}`;
  return { urls: [...turn.urls], username, credential: turnPassword(turn.secret, username) };
}
