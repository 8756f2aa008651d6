// A test hook that counts JS -> wasm crossings: every call into a method of
// the core's embind classes (Mesh, RaftNode), per core object. The core's
// methods are wrapped on their prototypes, so the library runs unchanged.
export function countCrossings(module) {
  const counts = new Map(); // core object -> calls
  const restores = [];
  for (const cls of [module.Mesh, module.RaftNode]) {
    const proto = cls.prototype;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const original = Object.getOwnPropertyDescriptor(proto, name).value;
      if (name === 'constructor' || typeof original !== 'function') continue;
      proto[name] = function counted(...args) {
        counts.set(this, (counts.get(this) ?? 0) + 1);
        return original.apply(this, args);
      };
      restores.push(() => { proto[name] = original; });
    }
  }
  return {
    counts,
    total: () => [...counts.values()].reduce((sum, n) => sum + n, 0),
    reset: () => counts.clear(),
    restore: () => restores.forEach((restore) => restore()),
  };
}
