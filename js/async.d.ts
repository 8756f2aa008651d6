// Types of "rtcmesh/async": the same names as "rtcmesh" (js/index.js
// re-exports js/async.js), so the declarations are shared, not copied.
export * from './index.js';
