// A test hook that counts JS -> wasm crossings: every call into a method of
// the core's embind classes (Mesh, RaftNode), per core object, and into the
// module's plain `_rtcmesh_*` exports (the wire's hot path), per the address
// they are given. The functions are wrapped where the library looks them up,
// so it runs unchanged.
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
  for (const name of Object.keys(module).filter((key) => key.startsWith('_rtcmesh_'))) {
    const original = module[name];
    module[name] = function counted(address, ...args) {
      counts.set(address, (counts.get(address) ?? 0) + 1);
      return original(address, ...args);
    };
    restores.push(() => { module[name] = original; });
  }
  return {
    counts,
    total: () => [...counts.values()].reduce((sum, n) => sum + n, 0),
    reset: () => counts.clear(),
    restore: () => restores.forEach((restore) => restore()),
  };
}
