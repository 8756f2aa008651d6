// Lua scripts run atomically in Redis by the cluster hub (redis-hub.js).
//
// A room is one hash, `<prefix>room:<room>`: peer -> JSON { node, token, exp, away }.
// `exp` (ms since the epoch) is pushed forward by the member's process while
// its socket is open; a dropped member's `exp` is set to the end of its grace
// period; a crashed process stops pushing. Any script that runs on a room
// first purges members past `exp` and publishes their departure on the
// room's channel, so presence ends within a bound whatever happened.

const PURGE = `
local function purge(key, now, channel)
  local all = redis.call('HGETALL', key)
  local live = 0
  for i = 1, #all, 2 do
    local m = cjson.decode(all[i + 1])
    if tonumber(m.exp) < now then
      redis.call('HDEL', key, all[i])
      redis.call('PUBLISH', channel, cjson.encode({ t = 'left', peer = all[i] }))
    else
      live = live + 1
    end
  end
  return live
end
`;

// KEYS[1] room hash. ARGV: peer, token ('' for none), new token, node, now, ttl, max peers, channel, key ttl
// Returns { status, token, members (HGETALL) }: status joined | resumed | taken | full.
export const JOIN = `${PURGE}
local now = tonumber(ARGV[5])
local live = purge(KEYS[1], now, ARGV[8])
local current = redis.call('HGET', KEYS[1], ARGV[1])
local token = ARGV[3]
local status = 'joined'
if current then
  local m = cjson.decode(current)
  if ARGV[2] == '' or m.token ~= ARGV[2] then return { 'taken' } end
  token = m.token
  status = 'resumed'
elseif live >= tonumber(ARGV[7]) then
  return { 'full' }
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({ node = ARGV[4], token = token, exp = now + tonumber(ARGV[6]), away = false }))
redis.call('PEXPIRE', KEYS[1], ARGV[9])
if status == 'joined' then
  redis.call('PUBLISH', ARGV[8], cjson.encode({ t = 'joined', peer = ARGV[1], node = ARGV[4] }))
else
  redis.call('PUBLISH', ARGV[8], cjson.encode({ t = 'moved', peer = ARGV[1], node = ARGV[4] }))
end
return { status, token, redis.call('HGETALL', KEYS[1]) }
`;

// KEYS[1] room hash. ARGV: peer, node, channel. Leaves at once if the member is ours.
export const LEAVE = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
if cjson.decode(current).node ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[3], cjson.encode({ t = 'left', peer = ARGV[1] }))
return 1
`;

// KEYS[1] room hash. ARGV: peer, node, now, grace. The socket dropped: hold the id until now + grace.
export const AWAY = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local m = cjson.decode(current)
if m.node ~= ARGV[2] then return 0 end
m.exp = tonumber(ARGV[3]) + tonumber(ARGV[4])
m.away = true
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
return 1
`;

// KEYS[1] room hash. ARGV: node, now, ttl, channel, key ttl, peers... (our open members).
// Pushes our members' expiry forward, purges the expired, returns HGETALL.
export const REFRESH = `${PURGE}
local now = tonumber(ARGV[2])
for i = 6, #ARGV do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if current then
    local m = cjson.decode(current)
    if m.node == ARGV[1] then
      m.exp = now + tonumber(ARGV[3])
      m.away = false
      redis.call('HSET', KEYS[1], ARGV[i], cjson.encode(m))
    end
  end
end
purge(KEYS[1], now, ARGV[4])
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
return redis.call('HGETALL', KEYS[1])
`;
