export * from '../async.js';
