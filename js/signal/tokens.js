// Resume tokens: 144 random bits, compared in constant time.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export function newToken() {
  return randomBytes(18).toString('base64url');
}

export function sameToken(a, b) {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
