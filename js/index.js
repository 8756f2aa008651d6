// rtcmesh public entry point.
export { loadCore } from './api/core-module.js';
