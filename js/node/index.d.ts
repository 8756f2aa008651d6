export * from '../index.js';

export * from './node-only.js';
