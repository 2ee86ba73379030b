import { Script } from './scripts.js';

/**
 * The scripts that share score inputs. Each worker writes its own contribution to a proxy's
 * score — decayed success and failure counts, its latency, its last success and failure — as
 * one field of the proxy's `s:<id>` hash named after the worker, replacing its previous one:
 * a write is idempotent (a retried or replayed write cannot count twice, as an increment would),
 * and no worker ever overwrites another's. Reads add up the other workers' fields, each decayed
 * from the server time it was written at: a worker never reads its own contribution back.
 */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS: [score log, workers]. ARGV: prefix, worker, retainMs, staleMs, ok, fail, then six per
 * proxy: id, successes, failures, latency ('' none), ms since its last success ('' none), ms since
 * its last failure ('' none). `ok`/`fail`: this worker's outcomes since its last push ('' to
 * skip). Returns {now, worker, "ok,fail,at", ...} for the other workers heard from within staleMs.
 */
export const SCORE_PUSH = new Script(`${NOW}
local retain = tonumber(ARGV[3])
local stale = tonumber(ARGV[4])
local function at(age)
  if age == '' then return '' end
  return tostring(now - tonumber(age))
end
local n = 0
for i = 7, #ARGV, 6 do
  local key = ARGV[1] .. 's:' .. ARGV[i]
  redis.call('HSET', key, ARGV[2], ARGV[i + 1] .. ',' .. ARGV[i + 2] .. ',' .. ARGV[i + 3] .. ',' .. at(ARGV[i + 4]) .. ',' .. at(ARGV[i + 5]) .. ',' .. now)
  redis.call('PEXPIRE', key, retain)
  redis.call('ZADD', KEYS[1], now, ARGV[i])
  n = n + 1
end
if n > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - retain)
  redis.call('PEXPIRE', KEYS[1], retain)
end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[5] .. ',' .. ARGV[6] .. ',' .. now)
  redis.call('PEXPIRE', KEYS[2], stale)
end
local out = {now}
local all = redis.call('HGETALL', KEYS[2])
for j = 1, #all, 2 do
  local stamp = tonumber(string.match(all[j + 1], ',(%d+)$'))
  if stamp == nil or stamp < now - stale then
    redis.call('HDEL', KEYS[2], all[j])
  elseif all[j] ~= ARGV[2] then
    out[#out + 1] = all[j]
    out[#out + 1] = all[j + 1]
  end
end
return out
`);

/**
 * KEYS: [score log]. ARGV: prefix, worker, halfLifeMs, retainMs, since (server ms; -1: only the ids
 * that follow), offset, limit, ids... Reads the ids changed since `since` (a page of `limit` from
 * `offset`) and the ids given. Fields older than retainMs are dropped on the way.
 * Returns {now, more (1: another page), {id, successes, failures, Σ latency×successes, Σ successes
 * with a latency, last success, last failure (server ms, -1 none)}...}, the other workers' only.
 */
export const SCORE_READ = new Script(`${NOW}
local ids = {}
local more = 0
local since = tonumber(ARGV[5])
if since >= 0 then
  local limit = tonumber(ARGV[7])
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], since, '+inf', 'LIMIT', tonumber(ARGV[6]), limit)
  if #ids >= limit then more = 1 end
end
for i = 8, #ARGV do ids[#ids + 1] = ARGV[i] end
local k = math.log(2) / tonumber(ARGV[3])
local oldest = now - tonumber(ARGV[4])
local out = {now, more}
for _, id in ipairs(ids) do
  local key = ARGV[1] .. 's:' .. id
  local fields = redis.call('HGETALL', key)
  local s, f, lw, w, ls, lf = 0, 0, 0, 0, -1, -1
  for j = 1, #fields, 2 do
    local s1, f1, lat, ats, atf, stamp = string.match(fields[j + 1], '^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*)$')
    stamp = tonumber(stamp)
    if stamp == nil or stamp < oldest then
      redis.call('HDEL', key, fields[j])
    elseif fields[j] ~= ARGV[2] then
      local d = math.exp(-math.max(0, now - stamp) * k)
      local si = (tonumber(s1) or 0) * d
      s = s + si
      f = f + (tonumber(f1) or 0) * d
      if lat ~= '' then
        lw = lw + tonumber(lat) * si
        w = w + si
      end
      if ats ~= '' and tonumber(ats) > ls then ls = tonumber(ats) end
      if atf ~= '' and tonumber(atf) > lf then lf = tonumber(atf) end
    end
  end
  out[#out + 1] = {id, tostring(s), tostring(f), tostring(lw), tostring(w), ls, lf}
end
return out
`);
