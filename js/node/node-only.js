// What only Node members have, in both Node entries ("rtcmesh" and
// "rtcmesh/async"): Raft state on disk, and the bot member.
export { openFileStorage } from './file-storage.js';
export { startBot } from './bot.js';
