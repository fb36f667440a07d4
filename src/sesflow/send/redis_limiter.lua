-- RedisLimiter's decisions, each one atomic script run on Redis's clock (TIME). One file, registered once;
-- ARGV[1] picks the entry point: acquire, release, beat, leave, claim or gone. Each returns { message,
-- ticket, Redis's now }.
--
-- KEYS: 1 state hash, 2 in-flight zset (member "ticket:cost", score = lease end), 3 ended zset (member
-- "ticket:cost", score = one second after the answer), 4 queue zset (member "ticket cost lease ceiling quota
-- process", score = ticket: arrival order), 5 day hash (minute -> recipients, for the minutes before the
-- current one), 6 alive hash (process -> the time it is taken for dead), 7 pushed zset (member "ticket:cost"
-- of a permit pushed to a waiter, score = when it must have been read).
-- ARGV: 1 operation, 2 process id, 3 heartbeat (1: the process shows it is alive), 4.. the operation's
-- arguments. The constants (pacing tolerance, step-down and climb factors, rate floor, process expiry, key
-- expiry when idle, lookahead) are written into the script when it is loaded (redis_script.py), so that a
-- call carries only what changes.
--
-- Messages to a waiter (pushed on its wake list, or returned to the caller):
--   A:cost:epoch:minute:start:now:rate  admitted; the request may start at `start` (>= now: a permit is
--                                        given up to the lookahead before its start, so that the waiter's
--                                        wake-up latency is spent before the start, not after it)
--   Q:used:quota  refused by the daily quota
--   W:ms  you are first: come back in ms      B:ms  you are first, blocked by requests in flight
--   N     not first yet: wait for a push

local H, F, E, Q, D, ALIVE, P = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local WAKE = string.sub(H, 1, -6) .. 'wake:'  -- '{key}:state' -> '{key}:wake:'
local TOL, STEP, CLIMB, FLOOR = @TOL@, @STEP@, @CLIMB@, @FLOOR@
local TTL, KEEP, AHEAD = @TTL@, @KEEP@, @AHEAD@
local OP, PROC, BEAT = ARGV[1], ARGV[2], ARGV[3]
local UNLIMITED = 1e299

local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local minute = math.floor(now / 60)

local s = redis.call('HMGET', H, 'tat', 'inflight', 'ended', 'cut', 'cut_at', 'epoch', 'day', 'day_from',
  'told', 'told_blocked', 'seq', 'dm', 'dv', 'kept', 'pnext', 'fnext', 'qlen', 'esweep')
local tat = tonumber(s[1]) or 0
local inflight = tonumber(s[2]) or 0
local ended = tonumber(s[3]) or 0
local cut = tonumber(s[4])
local cut_at = tonumber(s[5]) or 0
local epoch = tonumber(s[6]) or 0
local day = tonumber(s[7]) or 0          -- recipients admitted in the rolling 24 hours (D plus dv)
local day_from = tonumber(s[8])          -- the oldest minute counted
local told = s[9] or ''
local told_blocked = s[10] or '0'
local seq = tonumber(s[11]) or 0
local dm = tonumber(s[12])               -- the current minute, counted here (dv) until the next one begins
local dv = tonumber(s[13]) or 0
local kept = tonumber(s[14]) or 0
local pnext = tonumber(s[15])            -- when the oldest pushed permit must have been read
local fnext = tonumber(s[16])            -- no lease ends before this (the first one, or earlier)
local qlen = tonumber(s[17])             -- waiters in the queue (nil: not known, then counted)
local esweep = tonumber(s[18]) or 0      -- when ends older than a second are next taken out of E

local function num(x) return string.format('%.6f', x) end
local function cost_of(member) return tonumber(string.match(member, ':(%d+)$')) end
local function opt(x) if x then return num(x) end return '' end

local function save()
  redis.call('HSET', H, 'tat', num(tat), 'inflight', inflight, 'ended', ended, 'cut', opt(cut),
    'cut_at', num(cut_at), 'epoch', epoch, 'day', day, 'day_from', day_from or '', 'told', told,
    'told_blocked', told_blocked, 'seq', seq, 'dm', dm or '', 'dv', dv, 'kept', num(kept),
    'pnext', opt(pnext), 'fnext', opt(fnext), 'qlen', qlen or '', 'esweep', num(esweep))
end

-- The keys expire after KEEP idle milliseconds: renewed once a minute rather than on every call, and set on
-- a key when a call creates it (a zset or hash is deleted with its last member).
local function keep()
  if now - kept >= 60 then
    for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, KEEP) end
    kept = now
  end
end
local function created(key) redis.call('PEXPIRE', key, KEEP) end

local function refund(cost, at_minute)
  at_minute = tonumber(at_minute)
  if at_minute == dm then
    local back = math.min(cost, dv)
    dv = dv - back
    day = day - back
    return
  end
  local v = tonumber(redis.call('HGET', D, at_minute))
  if v then
    local back = math.min(cost, v)
    redis.call('HINCRBY', D, at_minute, -back)
    day = day - back
  end
end

-- A permit pushed to a waiter that never read it (its process died or stopped before its BLPOP returned)
-- is taken back: no request can have been made with it.
local function reclaim_unread()
  if not pnext or pnext > now then return end
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', P, '-inf', num(now))) do
    local ticket = string.match(member, '^(%d+):')
    local last = redis.call('LINDEX', WAKE .. ticket, -1)
    if last and string.sub(last, 1, 2) == 'A:' then
      local cost = cost_of(member)
      if redis.call('ZREM', F, member) == 1 then inflight = inflight - cost end
      refund(cost, string.match(last, '^A:%d+:%d+:(%d+):'))
      redis.call('DEL', WAKE .. ticket)
    end
  end
  redis.call('ZREMRANGEBYSCORE', P, '-inf', num(now))
  local first = redis.call('ZRANGE', P, 0, 0, 'WITHSCORES')
  pnext = tonumber(first[2])
end

-- Requests whose lease ended free their recipients; ends older than a second leave the window (taken out
-- of E every SWEEP seconds rather than on every call: until then they count in `ended`, and `earliest`, which
-- walks E from its oldest end, steps over them); minutes wholly older than 24 hours leave the daily count.
local SWEEP = 0.02
local function clean()
  if fnext and fnext <= now then
    local gone = redis.call('ZRANGEBYSCORE', F, '-inf', num(now))
    if #gone > 0 then
      for _, member in ipairs(gone) do inflight = inflight - cost_of(member) end
      redis.call('ZREMRANGEBYSCORE', F, '-inf', num(now))
    end
    fnext = tonumber(redis.call('ZRANGE', F, 0, 0, 'WITHSCORES')[2])
  end
  if now >= esweep and ended > 0 then
    local old = redis.call('ZRANGEBYSCORE', E, '-inf', num(now))
    if #old > 0 then
      for _, member in ipairs(old) do ended = ended - cost_of(member) end
      redis.call('ZREMRANGEBYSCORE', E, '-inf', num(now))
    end
    esweep = now + SWEEP
  end
  reclaim_unread()
  local cutoff = minute - 1441
  if dm and dm <= cutoff then
    day = day - dv
    dv = 0
  end
  if day_from and day_from <= cutoff then
    if cutoff - day_from > 1500 then
      redis.call('DEL', D)
      day = dv
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
-- admitted and not yet ended -- started, or given a start to come -- and ended ones until a second after
-- their answer). nil: only a request in flight ending can make room.
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

-- Admit `cost` recipients to start at `start`: pacing, the window, the daily count.
local function admit(ticket, cost, lease, rate, start)
  if rate < UNLIMITED then tat = math.max(tat, start) + cost / rate end
  local member = ticket .. ':' .. cost
  redis.call('ZADD', F, num(start + lease), member)
  if inflight == 0 then created(F) end
  if not fnext or start + lease < fnext then fnext = start + lease end
  inflight = inflight + cost
  if dm ~= minute then
    if dm and dv > 0 then
      redis.call('HSET', D, dm, dv)
      created(D)
    end
    dm = minute
    dv = 0
  end
  dv = dv + cost
  day = day + cost
  if not day_from then day_from = minute end
  return 'A:' .. cost .. ':' .. epoch .. ':' .. minute .. ':' .. num(start) .. ':' .. num(now) .. ':' ..
    (rate < UNLIMITED and num(rate) or 'inf'), member
end

local function parse(member)
  local t, c, l, ce, qu, pr = string.match(member, '^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+)$')
  return { ticket = t, cost = tonumber(c), lease = tonumber(l), ceiling = tonumber(ce), quota = tonumber(qu),
    proc = pr, member = member }
end

local living = {}
local function alive(proc)
  if proc == PROC then return true end
  local known = living[proc]
  if known == nil then
    local until_ = tonumber(redis.call('HGET', ALIVE, proc))
    known = until_ ~= nil and until_ >= now
    if not known and until_ then redis.call('HDEL', ALIVE, proc) end
    living[proc] = known
  end
  return known
end

-- The number of waiters in line (counted once when not known: the state was lost).
local function queue_len()
  if not qlen then qlen = redis.call('ZCARD', Q) end
  return qlen
end

-- The first waiter in line, or nil (no command when the line is known to be empty).
local function head()
  if queue_len() == 0 then return nil end
  local first = redis.call('ZRANGE', Q, 0, 0)[1]
  if not first then qlen = 0 end  -- the queue's key expired
  return first and parse(first)
end

local function dequeue(member)
  qlen = math.max(queue_len() - redis.call('ZREM', Q, member), 0)
end

-- Whether a permit still holds its recipients (its lease has not ended; ended leases leave F lazily).
local function holds(member)
  local lease_end = tonumber(redis.call('ZSCORE', F, member))
  return lease_end ~= nil and lease_end > now
end

local function push(ticket, message)
  local key = WAKE .. ticket
  redis.call('RPUSH', key, message)
  redis.call('PEXPIRE', key, 60000)
end

-- Admit waiters in arrival order while their start is within the lookahead; tell the first one left when
-- to come back (unless it already knows). Returns the message for `caller`, if the queue reached it.
local function pump(caller)
  local mine = nil
  while true do
    local rec = head()
    if not rec then break end
    local ticket = rec.ticket
    local rate = rate_for(rec.ceiling)
    if rec.quota >= 0 and day + rec.cost > rec.quota then
      dequeue(rec.member)
      local message = 'Q:' .. day .. ':' .. rec.quota
      if ticket == caller then mine = message else push(ticket, message) end
    else
      local start = earliest(rec.cost, rate)
      if start and start <= now + AHEAD then
        -- (a waiter whose process died is admitted all the same: its unread permit is taken back)
        local message, member = admit(ticket, rec.cost, rec.lease, rate, start)
        dequeue(rec.member)
        if ticket == caller then
          mine = message
        else
          push(ticket, message)
          local read_by = now + TTL
          redis.call('ZADD', P, num(read_by), member)
          if not pnext then created(P) end
          if not pnext or read_by < pnext then pnext = read_by end
        end
      elseif not alive(rec.proc) then
        dequeue(rec.member)  -- its process died: it loses its place
      else
        local blocked = start == nil
        local wait
        if blocked then
          local first = redis.call('ZRANGE', F, 0, 0, 'WITHSCORES')
          wait = first[2] and (tonumber(first[2]) - now) or 1
        else
          wait = start - AHEAD - now
        end
        local message = (blocked and 'B:' or 'W:') .. math.max(1, math.ceil(wait * 1000))
        -- Not due yet while requests are in flight and sends come many times per lookahead: the release
        -- of one of them will admit it before its start (so it is left blocking on its wake list, not woken
        -- to be told so). Each process with waiters also looks at the queue every heartbeat.
        local quiet = not blocked and inflight > 0 and rec.cost / rate < AHEAD / 2
        if quiet then
          if ticket == caller then mine = 'N' end
          if told == ticket then told = '' end
        else
          if ticket == caller then
            mine = message
          elseif told ~= ticket or (told_blocked == '1' and not blocked) then
            push(ticket, message)
          end
          told = ticket
          told_blocked = blocked and '1' or '0'
        end
        break
      end
    end
  end
  return mine
end

if BEAT == '1' then
  redis.call('HSET', ALIVE, PROC, num(now + TTL))
  created(ALIVE)
end

if OP == 'acquire' then
  -- ARGV: 4 ticket ('' = new), 5 cost, 6 lease, 7 ceiling, 8 daily quota (-1: none)
  local ticket, cost = ARGV[4], tonumber(ARGV[5])
  if ticket ~= '' then
    -- a decision pushed while this waiter was not listening
    local key = WAKE .. ticket
    while true do
      local message = redis.call('LPOP', key)
      if not message then break end
      local kind = string.sub(message, 1, 1)
      if kind == 'A' then
        redis.call('DEL', key)
        if holds(ticket .. ':' .. ARGV[5]) then return { message, ticket, num(now) } end
        break  -- taken back before it was read: queue again in its old place
      elseif kind == 'Q' then
        redis.call('DEL', key)
        return { message, ticket, num(now) }
      end
    end
  else
    seq = seq + 1
    ticket = tostring(seq)
  end
  clean()
  local mine
  local first = queue_len() > 0
  if not first and ARGV[4] == '' then
    -- Nobody waits: decide for the caller without queueing it (the common case under a steady load).
    local rate = rate_for(tonumber(ARGV[7]))
    local quota = tonumber(ARGV[8])
    if quota >= 0 and day + cost > quota then
      mine = 'Q:' .. day .. ':' .. quota
    else
      local start = earliest(cost, rate)
      if start and start <= now + AHEAD then mine = admit(ticket, cost, tonumber(ARGV[6]), rate, start) end
    end
  end
  if not mine then
    local queued = ARGV[4] ~= '' and redis.call('ZRANGEBYSCORE', Q, ticket, ticket)[1]
    if not queued then
      qlen = queue_len() + redis.call('ZADD', Q, ticket,
        table.concat({ ticket, ARGV[5], ARGV[6], ARGV[7], ARGV[8], PROC }, ' '))
      if not first then created(Q) end
    end
    if first and ARGV[4] == '' then
      -- Behind others, and the first one knows when to come back: nothing else changed.
      mine = 'N'
    else
      mine = pump(ticket)
    end
  end
  keep()
  save()
  return { mine or 'N', ticket, num(now) }
elseif OP == 'release' then
  -- ARGV: 4 member, 5 epoch, 6 minute, 7 sent (1/0), 8 throttled (1/0), 9 ceiling
  local member = ARGV[4]
  local cost = cost_of(member)
  clean()
  if redis.call('ZREM', F, member) == 1 then inflight = inflight - cost end
  redis.call('ZADD', E, num(now + 1), member)
  if ended == 0 then created(E) end
  ended = ended + cost
  if ARGV[7] == '0' then refund(cost, ARGV[6]) end
  if ARGV[8] == '1' and tonumber(ARGV[5]) == epoch then
    local rate = rate_for(tonumber(ARGV[9]))
    local seen = inflight + ended
    cut = math.max(FLOOR, STEP * math.min(rate, seen))
    cut_at = now
    epoch = epoch + 1
  end
  pump(nil)
  keep()
  save()
  return { 'ok', '', num(now) }
elseif OP == 'beat' then
  -- the process's waiters are alive (ARGV[3] is 1); look at the queue, whose head may have died
  clean()
  pump(nil)
  save()
  return { 'ok', '', num(now) }
elseif OP == 'leave' then
  -- ARGV: 4 ticket, 5 cost
  local ticket, cost = ARGV[4], tonumber(ARGV[5])
  clean()
  qlen = math.max(queue_len() - redis.call('ZREMRANGEBYSCORE', Q, ticket, ticket), 0)
  local key = WAKE .. ticket
  for _, message in ipairs(redis.call('LRANGE', key, 0, -1)) do
    local at_minute = string.match(message, '^A:%d+:%d+:(%d+):')
    if at_minute then
      -- admitted, never used: no request was made with it
      if redis.call('ZREM', F, ticket .. ':' .. cost) == 1 then inflight = inflight - cost end
      refund(cost, at_minute)
    end
  end
  redis.call('DEL', key)
  if told == ticket then told = '' end
  pump(nil)
  keep()
  save()
  return { 'ok', '', num(now) }
elseif OP == 'claim' then
  -- ARGV: 4 ticket, 5 cost, 6 lease: a waiter read its permit late (its process was stopped or starved);
  -- it may use it only if the permit still holds, and then for a whole lease from now
  local member = ARGV[4] .. ':' .. ARGV[5]
  if holds(member) then
    redis.call('ZADD', F, 'XX', num(now + tonumber(ARGV[6])), member)
    return { 'ok', '', num(now) }
  end
  return { 'lost', '', num(now) }
elseif OP == 'gone' then
  -- the process closed its limiter: it has no waiters left
  redis.call('HDEL', ALIVE, PROC)
  return { 'ok', '', num(now) }
end
return redis.error_reply('unknown operation ' .. tostring(OP))
