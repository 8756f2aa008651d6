// The error codes documented in the README's "Error codes" table. Tests check
// every code they see against it, so the table cannot fall behind the code.
import { readFileSync } from 'node:fs';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.split('\n### Error codes\n')[1]?.split('\n### ')[0] ?? '';
const codes = new Set();
for (const line of section.split('\n')) {
  const first = line.startsWith('| `') ? line.split('|')[1] : '';
  for (const [, code] of first.matchAll(/`([a-z_-]+)`/g)) codes.add(code);
}
if (codes.size < 20) throw new Error(`README.md: the "Error codes" table lists only ${codes.size} codes`);

export const documentedCodes = codes;

/** True when `error` (thrown, rejected or an event's detail) has a documented code. */
export function hasDocumentedCode(error) {
  return typeof error?.code === 'string' && codes.has(error.code);
}
