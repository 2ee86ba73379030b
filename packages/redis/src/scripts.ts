import { createHash } from 'node:crypto';

/**
 * The Lua scripts every write goes through. Each runs on Redis server time (`TIME`), gives every
 * key it writes a PEXPIRE, records the proxy in the namespace's change log (a sorted set read by
 * resyncs) and PUBLISHes the change from the same script, so that the write and its announcement
 * cannot part. They only ever see proxy ids (never a password).
 *
 * KEYS of the breaker scripts: [breaker hash, trial token, change log]. Times are server ms.
 */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

const LOG = `local function logChange(id, retain)
  redis.call('ZADD', KEYS[3], now, id)
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - retain)
  redis.call('PEXPIRE', KEYS[3], retain)
end
`;

/** ARGV: id, openMs, streak, reason, worker, retainMs, channel. Returns {now, until, openedAt, streak, reason, changed}. */
export const OPEN = `${NOW}${LOG}
local cur = redis.call('HMGET', KEYS[1], 'state', 'until', 'openedAt', 'streak', 'reason')
if cur[1] == 'open' and tonumber(cur[2]) > now then
  return {now, tonumber(cur[2]), tonumber(cur[3]), tonumber(cur[4]), cur[5], 0}
end
local openMs = tonumber(ARGV[2])
local retain = tonumber(ARGV[6])
local u = now + openMs
redis.call('HSET', KEYS[1], 'state', 'open', 'until', u, 'openedAt', now, 'since', now, 'streak', ARGV[3], 'reason', ARGV[4])
redis.call('PEXPIRE', KEYS[1], openMs + retain)
redis.call('DEL', KEYS[2])
logChange(ARGV[1], retain)
redis.call('PUBLISH', ARGV[7], cjson.encode({w = ARGV[5], t = 'open', id = ARGV[1], u = u, o = now, k = tonumber(ARGV[3]), r = ARGV[4], n = now}))
return {now, u, now, tonumber(ARGV[3]), ARGV[4], 1}
`;

/**
 * ARGV: id, streak, worker, retainMs, channel. A close is refused while another worker holds
 * the proxy's trial token (its trial decides). Returns {now, changed}.
 */
export const CLOSE = `${NOW}${LOG}
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[3] then return {now, 0} end
if redis.call('HGET', KEYS[1], 'state') == 'closed' then return {now, 0} end
local retain = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'state', 'closed', 'since', now, 'streak', ARGV[2])
redis.call('HDEL', KEYS[1], 'until', 'openedAt', 'reason')
redis.call('PEXPIRE', KEYS[1], retain)
redis.call('DEL', KEYS[2])
logChange(ARGV[1], retain)
redis.call('PUBLISH', ARGV[5], cjson.encode({w = ARGV[3], t = 'close', id = ARGV[1], s = now, k = tonumber(ARGV[2]), n = now}))
return {now, 1}
`;

/**
 * The half-open trial, one per proxy fleet-wide: SET NX PX of a token naming the worker.
 * ARGV: worker, ttlMs. Returns {now, 'won'} | {now, 'lost', pttl} | {now, 'none'} (no opening known).
 */
export const CLAIM = `${NOW}
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'open' then return {now, 'none'} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', tonumber(ARGV[2])) then return {now, 'won'} end
if redis.call('GET', KEYS[2]) == ARGV[1] then return {now, 'won'} end
return {now, 'lost', redis.call('PTTL', KEYS[2])}
`;

/**
 * The trial's holder keeps its token while its breaker stays half-open (a trial that needs two
 * successes can outlast the token), and takes it again when a restarted Redis lost it (else
 * another worker, writing its opening again, would win a second trial). ARGV: worker, ttlMs.
 * Returns 1 when it holds it.
 */
export const KEEP = `local holder = redis.call('GET', KEYS[2])
if holder == ARGV[1] or not holder then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', tonumber(ARGV[2]))
  return 1
end
return 0
`;

/**
 * A ban per (proxy, target), merged: the later end wins, the higher level wins.
 * KEYS: [bans hash, -, change log]. ARGV: id, target, kind, banMs, level, worker, retainMs, channel.
 * Returns {now, until, level, kind, at, changed}.
 */
export const BAN = `${NOW}${LOG}
local retain = tonumber(ARGV[7])
local u = now + tonumber(ARGV[4])
local level = tonumber(ARGV[5])
local kind = ARGV[3]
local at = now
local cur = redis.call('HGET', KEYS[1], ARGV[2])
if cur then
  local c = cjson.decode(cur)
  if c.u >= u then return {now, c.u, c.l, c.k, c.a, 0} end
  if c.l > level then level = c.l end
end
redis.call('HSET', KEYS[1], ARGV[2], cjson.encode({u = u, l = level, k = kind, a = at}))
local ttl = redis.call('PTTL', KEYS[1])
local want = u - now + retain
if ttl < want then redis.call('PEXPIRE', KEYS[1], want) end
logChange(ARGV[1], retain)
redis.call('PUBLISH', ARGV[8], cjson.encode({w = ARGV[6], t = 'ban', id = ARGV[1], g = ARGV[2], u = u, l = level, k = kind, a = at, n = now}))
return {now, u, level, kind, at, 1}
`;

/**
 * Reads what the fleet knows. ARGV: prefix, since (server ms; -1: only the ids that follow), ids...
 * KEYS: [change log]. Returns {now, {id, breakerFields, banFields}...}. (Keys are built from the
 * namespace prefix: all of them share its hash tag, so one slot.)
 */
export const READ = `${NOW}
local ids = {}
local since = tonumber(ARGV[2])
if since >= 0 then
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], since, '+inf')
end
for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
local out = {now}
for _, id in ipairs(ids) do
  out[#out + 1] = {id, redis.call('HGETALL', ARGV[1] .. 'b:' .. id), redis.call('HGETALL', ARGV[1] .. 'bans:' .. id)}
end
return out
`;

/** A script run by SHA (EVALSHA), loaded again by EVAL when the server does not know it (after a restart). */
export class Script {
  readonly source: string;
  readonly sha: string;

  constructor(source: string) {
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

export const SCRIPTS = {
  open: new Script(OPEN),
  close: new Script(CLOSE),
  claim: new Script(CLAIM),
  keep: new Script(KEEP),
  ban: new Script(BAN),
  read: new Script(READ),
} as const;
