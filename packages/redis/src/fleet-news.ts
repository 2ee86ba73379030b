/**
 * What the fleet shares besides proxies' breakers, bans and scores: targets down (so that the
 * other workers hold failures on a down site blameless, instead of opening breakers on it) and
 * gateways' own breakers (so that no worker keeps minting sessions against a gateway that
 * refuses the account). One Lua script a change writes it with a TTL and PUBLISHes it on the
 * store's channel; a late joiner or a resync reads the keys back.
 *
 * - A target down is a key that lives `targetDownTtlMs`: a worker that marked a site down and
 *   crashed does not hold it down forever (a worker that still finds it down marks it again).
 *   Up is a DEL and a message.
 * - A gateway's breaker is a hash like a proxy's (state, until), on server time; the message
 *   carries the server's now, so each worker turns `until` into its own clock by the gap.
 */
import type { BreakerState, HealthStoreLink } from '@proxy-pool/core';
import { Script } from './scripts.js';

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS: [target key]. ARGV: target, down ('1'/'0'), ttlMs, worker, channel. */
const TARGET = `${NOW}
if ARGV[2] == '1' then
  redis.call('SET', KEYS[1], now, 'PX', tonumber(ARGV[3]))
else
  redis.call('DEL', KEYS[1])
end
redis.call('PUBLISH', ARGV[5], cjson.encode({w = ARGV[4], t = ARGV[2] == '1' and 'down' or 'up', id = ARGV[1], n = now}))
return now
`;

/** KEYS: [gateway hash]. ARGV: gateway id, state, openMs (0 when closed), retainMs, worker, channel. */
const GATEWAY = `${NOW}
local openMs = tonumber(ARGV[3])
local u = now + openMs
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'until', u, 'since', now)
redis.call('PEXPIRE', KEYS[1], openMs + tonumber(ARGV[4]))
redis.call('PUBLISH', ARGV[6], cjson.encode({w = ARGV[5], t = 'gw', id = ARGV[1], s = ARGV[2], u = u, n = now}))
return now
`;

/** KEYS: [prefix]. ARGV: target ids, then '|', then gateway ids. Returns {now, {target, down}…, {gateway, state, until}…}. */
const READ = `${NOW}
local out = {now}
local gateways = false
for _, id in ipairs(ARGV) do
  if id == '|' then
    gateways = true
  elseif gateways then
    local h = redis.call('HMGET', KEYS[1] .. 'gw:' .. id, 'state', 'until')
    if h[1] then out[#out + 1] = {'gw', id, h[1], tonumber(h[2])} end
  else
    if redis.call('EXISTS', KEYS[1] .. 'down:' .. id) == 1 then out[#out + 1] = {'down', id} end
  end
end
return out
`;

export const NEWS_SCRIPTS = { target: new Script(TARGET), gateway: new Script(GATEWAY), read: new Script(READ) } as const;

/** A message of this module on the store's channel. */
export interface NewsMessage {
  w: string;
  t: 'down' | 'up' | 'gw';
  id: string;
  n: number;
  s?: string;
  u?: number;
}

export function isNewsMessage(message: { t: string }): message is NewsMessage {
  return message.t === 'down' || message.t === 'up' || message.t === 'gw';
}

export type RunScript = (script: Script, keys: string[], args: string[]) => Promise<unknown>;

export interface FleetNewsOptions {
  run: RunScript;
  prefix: string;
  channel: string;
  workerId: string;
  now: () => number;
  /** How long a target stays down fleet-wide without a worker confirming it. @default 60_000 */
  targetDownTtlMs?: number;
  /** How long a gateway's record outlives its opening. */
  retainMs: number;
}

export class FleetNews {
  readonly #options: Required<FleetNewsOptions>;
  #link: HealthStoreLink | undefined;
  /** What this worker told or was told, so that resyncs know which keys to read. */
  readonly #targets = new Set<string>();
  readonly #gateways = new Set<string>();

  constructor(options: FleetNewsOptions) {
    this.#options = { targetDownTtlMs: 60_000, ...options };
  }

  link(link: HealthStoreLink): void {
    this.#link = link;
  }

  /** A target went down (or came back) here: tell the fleet. */
  async targetChanged(target: string, down: boolean): Promise<void> {
    this.#targets.add(target);
    const o = this.#options;
    await o.run(
      NEWS_SCRIPTS.target,
      [`${o.prefix}down:${target}`],
      [target, down ? '1' : '0', String(o.targetDownTtlMs), o.workerId, o.channel],
    );
  }

  /** A gateway's own breaker opened or closed here: tell the fleet. */
  async gatewayChanged(gatewayId: string, breaker: BreakerState): Promise<void> {
    this.#gateways.add(gatewayId);
    const o = this.#options;
    const openMs = breaker.state === 'open' ? Math.max(0, breaker.until - o.now()) : 0;
    await o.run(
      NEWS_SCRIPTS.gateway,
      [`${o.prefix}gw:${gatewayId}`],
      [gatewayId, breaker.state, String(openMs), String(o.retainMs), o.workerId, o.channel],
    );
  }

  /** Another worker's news (messages this worker sent itself are skipped by the caller). */
  apply(message: NewsMessage): void {
    const link = this.#link;
    if (!link) return;
    if (message.t === 'gw') {
      this.#gateways.add(message.id);
      this.#applyGateway(link, message.id, message.s ?? 'closed', message.u ?? message.n, message.n);
    } else {
      this.#targets.add(message.id);
      link.setTargetDown(message.id, message.t === 'down');
    }
  }

  /** Reads back what the fleet holds of the targets and gateways known here (on the store's resyncs). */
  async resync(): Promise<void> {
    const link = this.#link;
    if (!link || (this.#targets.size === 0 && this.#gateways.size === 0)) return;
    const o = this.#options;
    const reply = await o.run(NEWS_SCRIPTS.read, [o.prefix], [...this.#targets, '|', ...this.#gateways]);
    if (!Array.isArray(reply)) return;
    const serverNow = Number(reply[0]);
    const down = new Set<string>();
    for (const item of reply.slice(1) as Array<Array<string | number>>) {
      if (item[0] === 'down') down.add(String(item[1]));
      else if (item[0] === 'gw') this.#applyGateway(link, String(item[1]), String(item[2]), Number(item[3]), serverNow);
    }
    // A target the fleet no longer holds down (its key expired, or a worker saw it up) is up here too.
    for (const target of this.#targets) link.setTargetDown(target, down.has(target));
  }

  #applyGateway(link: HealthStoreLink, id: string, state: string, until: number, serverNow: number): void {
    const now = this.#options.now();
    if (state === 'open' && until > serverNow) {
      link.setGatewayBreaker(id, {
        state: 'open',
        until: now + (until - serverNow),
        openedAt: now,
        streak: 1,
        reason: 'opened elsewhere in the fleet',
      } as BreakerState);
    } else if (state === 'closed') {
      link.setGatewayBreaker(id, { state: 'closed', failures: 0, streak: 0, since: now });
    }
  }
}
