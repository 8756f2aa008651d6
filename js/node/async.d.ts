export * from '../async.js';
export * from './node-only.js';
