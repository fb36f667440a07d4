-- RedisLimiter's decisions, each one atomic script run on Redis's clock (TIME). One file, registered once;
-- ARGV[8] picks the entry point: acquire, release or leave.
--
-- KEYS: 1 state hash, 2 in-flight zset (member "ticket:cost", score = lease end), 3 ended zset (member
-- "ticket:cost", score = one second after the answer), 4 queue zset (member = score = ticket, arrival
-- order), 5 waiters hash (ticket -> "cost lease ceiling quota expiry"), 6 day hash (minute -> recipients).
-- ARGV: 1 wake-list prefix, 2 pacing tolerance (s), 3 step-down factor, 4 climb factor per second,
-- 5 rate floor, 6 waiter expiry (s), 7 key expiry when idle (ms), 8 operation, 9.. its arguments.
--
-- Messages to a waiter (pushed on its wake list, or returned to the caller):
--   A:cost:epoch:minute:now:rate  admitted      Q:used:quota  refused by the daily quota
--   W:ms  you are first: your start comes in ms  B:ms  you are first, blocked by requests in flight
--   N     not first yet: wait for a push

local H, F, E, Q, W, D = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local WAKE = ARGV[1]
local TOL, STEP, CLIMB, FLOOR = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local TTL, KEEP, OP = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]
local UNLIMITED = 1e299

local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local minute = math.floor(now / 60)

local s = redis.call('HMGET', H, 'tat', 'inflight', 'ended', 'cut', 'cut_at', 'epoch', 'day', 'day_from',
  'told', 'told_blocked')
local tat = tonumber(s[1]) or 0
local inflight = tonumber(s[2]) or 0
local ended = tonumber(s[3]) or 0
local cut = tonumber(s[4])
local cut_at = tonumber(s[5]) or 0
local epoch = tonumber(s[6]) or 0
local day = tonumber(s[7]) or 0
local day_from = tonumber(s[8])
local told = s[9] or ''
local told_blocked = s[10] or '0'

local function num(x) return string.format('%.6f', x) end
local function cost_of(member) return tonumber(string.match(member, ':(%d+)$')) end

local function save()
  redis.call('HSET', H, 'tat', num(tat), 'inflight', inflight, 'ended', ended, 'cut_at', num(cut_at),
    'epoch', epoch, 'day', day, 'told', told, 'told_blocked', told_blocked)
  if cut then redis.call('HSET', H, 'cut', num(cut)) else redis.call('HDEL', H, 'cut') end
  if day_from then redis.call('HSET', H, 'day_from', day_from) else redis.call('HDEL', H, 'day_from') end
end

local function keep()
  for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, KEEP) end
end

-- Requests whose lease ended free their recipients; ends older than a second leave the window; minutes
-- wholly older than 24 hours leave the daily count.
local function clean()
  local gone = redis.call('ZRANGEBYSCORE', F, '-inf', num(now))
  if #gone > 0 then
    for _, member in ipairs(gone) do inflight = inflight - cost_of(member) end
    redis.call('ZREMRANGEBYSCORE', F, '-inf', num(now))
  end
  local old = redis.call('ZRANGEBYSCORE', E, '-inf', num(now))
  if #old > 0 then
    for _, member in ipairs(old) do ended = ended - cost_of(member) end
    redis.call('ZREMRANGEBYSCORE', E, '-inf', num(now))
  end
  local cutoff = minute - 1441
  if day_from and day_from <= cutoff then
    if cutoff - day_from > 1500 then
      redis.call('DEL', D)
      day = 0
      day_from = nil
    else
      for m = day_from, cutoff do
        local v = redis.call('HGET', D, m)
        if v then
          day = day - tonumber(v)
          redis.call('HDEL', D, m)
        end
      end
      day_from = cutoff + 1
    end
  end
end

local function rate_for(ceiling)
  if not cut then return ceiling end
  local dt = math.min(math.max(now - cut_at, 0), 600)
  return math.min(ceiling, cut * CLIMB ^ dt)
end

-- The earliest start of a request of `cost` at `rate`: GCRA pacing, then the one-second window (requests
-- in flight, and ended ones until a second after their answer). nil: only a request in flight ending can
-- make room.
local function earliest(cost, rate)
  if rate >= UNLIMITED then return now end
  local start = math.max(now, tat - TOL)
  local room = rate - cost - inflight
  if room < 0 and inflight > 0 then return nil end
  if room < 0 then room = 0 end
  if ended > room then
    local need, dropped, i = ended - room, 0, 0
    while dropped < need do
      local batch = redis.call('ZRANGE', E, i, i + 31, 'WITHSCORES')
      if #batch == 0 then break end
      for j = 1, #batch, 2 do
        dropped = dropped + cost_of(batch[j])
        local free_at = tonumber(batch[j + 1])
        if free_at > start then start = free_at end
        if dropped >= need then break end
      end
      i = i + 32
    end
  end
  return start
end

local function record(ticket)
  local r = redis.call('HGET', W, ticket)
  if not r then return nil end
  local c, l, ce, qu, ex = string.match(r, '^(%S+) (%S+) (%S+) (%S+) (%S+)$')
  return { cost = tonumber(c), lease = tonumber(l), ceiling = tonumber(ce), quota = tonumber(qu),
    expiry = tonumber(ex) }
end

local function drop(ticket)
  redis.call('ZREM', Q, ticket)
  redis.call('HDEL', W, ticket)
end

-- The first waiter still alive (a waiter whose process died leaves at its expiry).
local function head()
  while true do
    local first = redis.call('ZRANGE', Q, 0, 0)[1]
    if not first then return nil, nil end
    local rec = record(first)
    if rec and rec.expiry >= now then return first, rec end
    drop(first)
  end
end

local function push(ticket, message)
  local key = WAKE .. ticket
  redis.call('RPUSH', key, message)
  redis.call('PEXPIRE', key, 60000)
end

local function unadmit(member, cost)
  if redis.call('ZREM', F, member) == 1 then
    inflight = inflight - cost
    redis.call('ZADD', E, num(now + 1), member)
    ended = ended + cost
  end
end

local function refund(cost, at_minute)
  local v = tonumber(redis.call('HGET', D, at_minute))
  if v then
    local back = math.min(cost, v)
    redis.call('HINCRBY', D, at_minute, -back)
    day = day - back
  end
end

-- Admit waiters in arrival order while their start has come; tell the first one left how long to wait
-- (unless it already knows). Returns the message for `caller`, if the queue reached it.
local function pump(caller)
  local mine = nil
  while true do
    local ticket, rec = head()
    if not ticket then break end
    local rate = rate_for(rec.ceiling)
    if rec.quota >= 0 and day + rec.cost > rec.quota then
      drop(ticket)
      local message = 'Q:' .. day .. ':' .. rec.quota
      if ticket == caller then mine = message else push(ticket, message) end
    else
      local start = earliest(rec.cost, rate)
      if start and start <= now then
        if rate < UNLIMITED then tat = math.max(tat, now) + rec.cost / rate end
        inflight = inflight + rec.cost
        redis.call('ZADD', F, num(now + rec.lease), ticket .. ':' .. rec.cost)
        redis.call('HINCRBY', D, minute, rec.cost)
        day = day + rec.cost
        if not day_from then day_from = minute end
        drop(ticket)
        local message = 'A:' .. rec.cost .. ':' .. epoch .. ':' .. minute .. ':' .. num(now) .. ':' ..
          (rate < UNLIMITED and num(rate) or 'inf')
        if ticket == caller then mine = message else push(ticket, message) end
      else
        local blocked = start == nil
        local wait
        if blocked then
          local first = redis.call('ZRANGE', F, 0, 0, 'WITHSCORES')
          wait = first[2] and (tonumber(first[2]) - now) or 1
        else
          wait = start - now
        end
        local message = (blocked and 'B:' or 'W:') .. math.max(1, math.ceil(wait * 1000))
        if ticket == caller then
          mine = message
        elseif told ~= ticket or (told_blocked == '1' and not blocked) then
          push(ticket, message)
        end
        told = ticket
        told_blocked = blocked and '1' or '0'
        break
      end
    end
  end
  return mine
end

if OP == 'acquire' then
  -- ARGV: 9 ticket ('' = new), 10 cost, 11 lease, 12 ceiling, 13 daily quota (-1: none)
  local ticket = ARGV[9]
  if ticket ~= '' then
    -- a decision pushed while this waiter was not listening
    local key = WAKE .. ticket
    while true do
      local message = redis.call('LPOP', key)
      if not message then break end
      local kind = string.sub(message, 1, 1)
      if kind == 'A' or kind == 'Q' then
        redis.call('DEL', key)
        return { message, ticket }
      end
    end
  else
    ticket = tostring(redis.call('HINCRBY', H, 'seq', 1))
  end
  clean()
  redis.call('HSET', W, ticket, ARGV[10] .. ' ' .. ARGV[11] .. ' ' .. ARGV[12] .. ' ' .. ARGV[13] .. ' ' ..
    num(now + TTL))
  redis.call('ZADD', Q, ticket, ticket)
  local mine = pump(ticket)
  save()
  return { mine or 'N', ticket }
elseif OP == 'release' then
  -- ARGV: 9 member, 10 epoch, 11 minute, 12 sent (1/0), 13 throttled (1/0), 14 ceiling
  local member = ARGV[9]
  local cost = cost_of(member)
  clean()
  if redis.call('ZREM', F, member) == 1 then inflight = inflight - cost end
  redis.call('ZADD', E, num(now + 1), member)
  ended = ended + cost
  if ARGV[12] == '0' then refund(cost, ARGV[11]) end
  if ARGV[13] == '1' and tonumber(ARGV[10]) == epoch then
    local rate = rate_for(tonumber(ARGV[14]))
    local seen = inflight + ended
    cut = math.max(FLOOR, STEP * math.min(rate, seen))
    cut_at = now
    epoch = epoch + 1
  end
  pump(nil)
  save()
  keep()
  return { 'ok', '' }
elseif OP == 'leave' then
  -- ARGV: 9 ticket, 10 cost
  local ticket, cost = ARGV[9], tonumber(ARGV[10])
  clean()
  drop(ticket)
  local key = WAKE .. ticket
  for _, message in ipairs(redis.call('LRANGE', key, 0, -1)) do
    local at_minute = string.match(message, '^A:%d+:%d+:(%d+):')
    if at_minute then
      unadmit(ticket .. ':' .. cost, cost)
      refund(cost, at_minute)
    end
  end
  redis.call('DEL', key)
  if told == ticket then told = '' end
  pump(nil)
  save()
  keep()
  return { 'ok', '' }
end
return redis.error_reply('unknown operation ' .. tostring(OP))
