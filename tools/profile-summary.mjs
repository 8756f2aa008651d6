// Summarizes a V8 .cpuprofile (Chrome DevTools' format, as CDP's Profiler
// and `node --cpu-prof` write it): the functions with the most self time and
// the most inclusive time, so a benchmark's missed target can say where its
// time went without opening DevTools.
//
//   node tools/profile-summary.mjs file.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

export function summarizeProfile(profile, top = 25) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const deltas = profile.timeDeltas ?? [];
  const selfUs = new Map();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0)));
  const nameOf = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url ? url.split('/').pop() : '';
    return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
  };
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    total += us;
    const name = nameOf(byId.get(id));
    self.set(name, (self.get(name) ?? 0) + us);
    // Count each function once per sample even when it recurses.
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const n = nameOf(byId.get(at));
      if (seen.has(n)) continue;
      seen.add(n);
      inclusive.set(n, (inclusive.get(n) ?? 0) + us);
    }
  }
  const rank = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: total ? us / total : 0 }));
  return { totalMs: total / 1000, self: rank(self), inclusive: rank(inclusive) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error('usage: node tools/profile-summary.mjs file.cpuprofile [top]');
  const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), Number(top) || 25);
  const line = ({ name, ms, share }) => `  ${ms.toFixed(1).padStart(9)} ms ${(100 * share).toFixed(1).padStart(5)}%  ${name}`;
  console.log(`${summary.totalMs.toFixed(0)} ms sampled\nself time:`);
  summary.self.forEach((row) => console.log(line(row)));
  console.log('inclusive time:');
  summary.inclusive.forEach((row) => console.log(line(row)));
}
