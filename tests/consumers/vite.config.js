// vite.config.js: what Vite 5 and 6 (build and dev) and Vite 7 (dev) need
export default {
  // "rtcmesh" loads its wasm core with a top-level await
  build: { target: 'es2022' },
  // served as is, not pre-bundled: its .wasm stays next to its code
  optimizeDeps: { exclude: ['rtcmesh'] },
};
