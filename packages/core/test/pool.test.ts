import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  NoProxyAvailableError,
  PoolClosedError,
  ProxyParseError,
  ProxyPool,
  ProxyPoolError,
  ROTATION_NAMES,
  toGetNextProxy,
} from '../src/index.js';
import { FakeClock, seededRandom } from '../src/testing/index.js';
import { fakePool, proxyList } from './helpers.js';

const SECRET = 'hunter2-very-secret';

describe('leases', () => {
  it('count work in flight and end exactly once', async () => {
    const { pool } = fakePool();
    const lease = await pool.acquire();
    expect(pool.getMetrics(lease.proxy)!.inFlight).toBe(1);
    expect(lease.success({ latencyMs: 120 })).toBe(true);
    expect(lease.failure({ kind: 'timeout' })).toBe(false);
    expect(lease.release()).toBe(false);
    const m = pool.getMetrics(lease.proxy)!;
    expect(m).toMatchObject({ inFlight: 0, totalRequests: 1, successfulRequests: 1, failedRequests: 0, avgResponseTime: 120 });
  });

  it('default the latency to the lease age', async () => {
    const { pool, clock } = fakePool();
    const lease = await pool.acquire();
    await clock.advance(250);
    lease.success();
    expect(pool.getMetrics(lease.proxy)!.avgResponseTime).toBe(250);
  });

  it('reject an unknown failure kind with the list of kinds, and stay open', async () => {
    const { pool } = fakePool();
    const lease = await pool.acquire();
    expect(() => lease.failure({ kind: 'oops' as never })).toThrow(/Expected `kind` to be one of proxy_unreachable, proxy_auth/);
    expect(lease.ended).toBe(false);
    lease.release();
  });

  it('are released by `using`', async () => {
    const { pool } = fakePool();
    let id: string;
    {
      using lease = await pool.acquire();
      id = lease.proxy.id;
      expect(pool.getMetrics(id)!.inFlight).toBe(1);
    }
    expect(pool.getMetrics(id)!.inFlight).toBe(0);
  });

  it('never let in-flight counts go negative or leak, whatever the order of events (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant('acquire'), fc.nat({ max: 50 }), fc.constant('remove'), fc.constant('add')), { maxLength: 200 }),
        (ops) => {
          const pool = new ProxyPool({ proxies: proxyList(4), clock: new FakeClock(), random: seededRandom(1) });
          const leases: import('../src/index.js').Lease[] = [];
          let added = 100;
          for (const op of ops) {
            if (op === 'acquire') {
              const lease = pool.tryAcquire();
              if (lease) leases.push(lease);
            } else if (op === 'remove') {
              if (pool.size > 1) pool.remove(pool.proxies[0]!);
            } else if (op === 'add') {
              pool.add(`10.9.9.${added++ % 250}:1`);
            } else if (leases.length > 0) {
              const lease = leases.splice(op % leases.length, 1)[0]!;
              [() => lease.success(), () => lease.failure({ kind: 'connection' }), () => lease.release()][op % 3]!();
            }
          }
          const inFlight = (id: string) => pool.getMetrics(id)!.inFlight;
          for (const p of pool.proxies) if (inFlight(p.id) < 0) return false;
          for (const lease of leases) lease.release();
          return pool.proxies.every((p) => inFlight(p.id) === 0);
        },
      ),
    );
  });
});

describe('getProxy and report (the seed interface)', () => {
  it('picks synchronously and learns from reports', () => {
    const { pool } = fakePool({ proxies: ['10.0.0.1:80'] });
    const proxy = pool.getProxy()!;
    expect(proxy.id).toBe('http://10.0.0.1:80');
    for (let i = 0; i < 5; i++) pool.report(proxy, { ok: false, kind: 'proxy_unreachable' });
    expect(pool.getProxy()).toBeUndefined();
    expect(pool.report('http://10.9.9.9:1', { ok: true })).toBe(false);
  });
});

describe('cold start', () => {
  it.each(ROTATION_NAMES)(
    '%s: picks a proxy whose failure waits for proof, or that failed and never worked, only after the untried ones',
    async (rotation) => {
      const { pool, clock } = fakePool({ rotation, proxies: proxyList(4) });
      const [a, b, c, d] = pool.proxies.map((p) => p.id) as [string, string, string, string];
      const target = { target: 'https://shop.example/' };
      pool.report(a, { ok: false, kind: 'timeout' }, target); // pending: the site may be down
      pool.report(b, { ok: false, kind: 'proxy_unreachable' }, target); // charged, and b never worked
      const picked = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const lease = pool.tryAcquire(target)!;
        picked.add(lease.proxy.id);
        lease.release();
      }
      expect([...picked].sort()).toEqual([c, d].sort());
      // Still usable when nothing else is.
      expect([a, b]).toContain(pool.getProxy({ ...target, exclude: [c, d] })?.id);
      // After the target-health window nobody is held back any more.
      await clock.advance(61_000);
      const later = new Set<string>();
      for (let i = 0; i < 400; i++) later.add(pool.getProxy(target)!.id);
      expect(later.has(a)).toBe(true);
    },
  );
});

describe('circuit breaker in the pool', () => {
  it('opens after 3 proxy failures by default', () => {
    const { pool } = fakePool({ proxies: ['10.0.0.1:80'] });
    for (let i = 0; i < 2; i++) pool.report('http://10.0.0.1:80', { ok: false, kind: 'proxy_unreachable' });
    expect(pool.getMetrics('http://10.0.0.1:80')!.circuitState).toBe('closed');
    pool.report('http://10.0.0.1:80', { ok: false, kind: 'proxy_unreachable' });
    expect(pool.getMetrics('http://10.0.0.1:80')!.circuitState).toBe('open');
  });

  it('opens after failureThreshold proxy failures, half-opens after 60 s, admits one trial among many concurrent acquires, closes after 2 successes', async () => {
    const { pool, clock } = fakePool({ proxies: ['10.0.0.1:80'], breaker: { jitter: 0, failureThreshold: 5 } });
    const events: string[] = [];
    pool.on('breakerOpen', (e) => events.push(`open: ${e.reason}`));
    pool.on('breakerHalfOpen', () => events.push('half-open'));
    pool.on('breakerClose', () => events.push('close'));
    for (let i = 0; i < 5; i++) (await pool.acquire()).failure({ kind: 'proxy_unreachable' });
    expect(pool.getMetrics('http://10.0.0.1:80')!.circuitState).toBe('open');
    await clock.advance(60_000);
    const attempts = await Promise.all(Array.from({ length: 2_000 }, () => pool.acquire({ wait: false }).catch((e: Error) => e)));
    const granted = attempts.filter((a) => !(a instanceof Error));
    expect(granted).toHaveLength(1);
    expect(attempts.filter((a) => a instanceof NoProxyAvailableError)).toHaveLength(1_999);
    (granted[0] as import('../src/index.js').Lease).success();
    (await pool.acquire()).success();
    expect(pool.getMetrics('http://10.0.0.1:80')!.circuitState).toBe('closed');
    expect(events).toEqual(['open: 5 consecutive failures, the last proxy_unreachable', 'half-open', 'close']);
  });

  it('opens at once, for long, on refused credentials', async () => {
    const { pool } = fakePool({ proxies: [`http://u:${SECRET}@10.0.0.1:80`, '10.0.0.2:80'] });
    const reasons: string[] = [];
    pool.on('breakerOpen', (e) => reasons.push(e.reason));
    pool.report('http://u@10.0.0.1:80', { ok: false, kind: 'proxy_auth', status: 407 });
    const m = pool.getMetrics('http://u@10.0.0.1:80')!;
    expect(m.circuitState).toBe('open');
    expect(m.circuitOpenUntil! - pool.options.clock.now()).toBe(30 * 60_000);
    expect(reasons[0]).toMatch(/refused its credentials/);
  });

  it('never counts target errors or client aborts against a proxy', async () => {
    const { pool } = fakePool({ proxies: ['10.0.0.1:80'] });
    for (let i = 0; i < 50; i++) (await pool.acquire({ target: 'https://a.example/' })).failure({ kind: 'target_error', status: 404 });
    for (let i = 0; i < 50; i++) (await pool.acquire()).failure({ kind: 'client' });
    const m = pool.getMetrics('http://10.0.0.1:80')!;
    expect(m).toMatchObject({ circuitState: 'closed', consecutiveFailures: 0, failedRequests: 100, healthScore: 0.5 });
    expect(m.failuresByKind).toEqual({ target_error: 50, client: 50 });
  });
});

describe('per-target bans', () => {
  it('ban a blocked proxy for that site only, for a cooldown that grows, and honour Retry-After', async () => {
    const { pool, clock } = fakePool({ proxies: ['10.0.0.1:80', '10.0.0.2:80'], bans: { jitter: 0 } });
    const [bad, good] = ['http://10.0.0.1:80', 'http://10.0.0.2:80'];
    const prove = () => pool.report(good, { ok: true }, { target: 'https://shop.example/' });
    pool.report(bad, { ok: false, kind: 'blocked', status: 403 }, { target: 'https://shop.example/a' });
    prove();
    expect(pool.getMetrics(bad)!.bannedOn).toEqual(['shop.example']);
    expect(pool.getMetrics(bad)!.circuitState).toBe('closed');
    expect(pool.getProxy({ target: 'https://other.example' })).toBeDefined();
    await clock.advance(5 * 60_000);
    expect(pool.getMetrics(bad)!.bannedOn).toEqual([]);
    pool.report(bad, { ok: false, kind: 'blocked', status: 403 }, { target: 'https://shop.example/a' });
    prove();
    await clock.advance(5 * 60_000);
    expect(pool.getMetrics(bad)!.bannedOn).toEqual(['shop.example']); // second ban: 10 minutes
    await clock.advance(5 * 60_000);
    expect(pool.getMetrics(bad)!.bannedOn).toEqual([]);
    pool.report(good, { ok: false, kind: 'rate_limited', status: 429, retryAfterMs: 7_200_000 }, { target: 'https://api.example/' });
    await clock.advance(3_600_000);
    expect(pool.getMetrics(good)!.bannedOn).toEqual(['api.example']);
  });
});

describe('membership', () => {
  it('adds and removes at any time; a removed proxy in use finishes quietly and is never picked', async () => {
    const { pool } = fakePool({ proxies: ['10.0.0.1:80', '10.0.0.2:80'] });
    const added: string[] = [];
    const removed: string[] = [];
    pool.on('proxyAdded', (e) => added.push(e.proxy.id));
    pool.on('proxyRemoved', (e) => removed.push(e.proxy.id));
    const lease = await pool.acquire();
    expect(pool.remove(lease.proxy)).toBe(true);
    expect(pool.remove(lease.proxy)).toBe(false);
    expect(lease.failure({ kind: 'connection' })).toBe(true);
    for (let i = 0; i < 20; i++) expect(pool.getProxy()!.id).not.toBe(lease.proxy.id);
    expect(pool.add('10.0.0.3:80').id).toBe('http://10.0.0.3:80');
    expect(pool.add('http://10.0.0.3:80').id).toBe('http://10.0.0.3:80');
    expect(pool.size).toBe(2);
    expect(added).toEqual(['http://10.0.0.3:80']);
    expect(removed).toEqual([lease.proxy.id]);
  });

  it('wakes a waiting acquire when a proxy is added', async () => {
    const clock = new FakeClock();
    const pool = new ProxyPool({ clock }); // no proxies yet: filled later
    const waiting = pool.acquire({ maxWaitMs: 10_000 });
    await clock.advance(1_000);
    pool.add('10.0.0.7:80');
    await clock.advance(0);
    expect((await waiting).proxy.id).toBe('http://10.0.0.7:80');
  });
});

describe('events, metrics and snapshot', () => {
  it('unsubscribes, and a throwing listener does not break the pool', async () => {
    const { pool } = fakePool();
    const seen: string[] = [];
    const off = pool.on('success', (e) => seen.push(e.proxy.id));
    pool.on('success', () => {
      throw new Error('listener bug');
    });
    (await pool.acquire()).success();
    off();
    (await pool.acquire()).success();
    expect(seen).toHaveLength(1);
  });

  it('reports every DESIGN field, pool totals, and no password anywhere', async () => {
    const { pool } = fakePool({ proxies: [`http://alice:${SECRET}@10.0.0.1:80`, '10.0.0.2:80'] });
    (await pool.acquire()).success({ latencyMs: 10 });
    const snap = pool.snapshot();
    expect(snap.size).toBe(2);
    expect(snap.totals).toMatchObject({ requests: 1, successes: 1, closed: 2, open: 0 });
    expect(Object.keys(snap.proxies[0]!).sort()).toEqual(
      [
        'proxy',
        'successRate',
        'healthScore',
        'avgResponseTime',
        'totalRequests',
        'successfulRequests',
        'failedRequests',
        'consecutiveFailures',
        'consecutiveSuccesses',
        'circuitState',
        'circuitOpenUntil',
        'inFlight',
        'lastUsedAt',
        'lastSuccessAt',
        'lastFailureAt',
        'failuresByKind',
        'bannedOn',
        'maxInFlight',
        'nextStartAt',
      ].sort(),
    );
    expect(JSON.stringify(snap)).not.toContain(SECRET);
    expect(JSON.stringify(pool.proxies)).not.toContain(SECRET);
  });

  it('logs breaker transitions with the proxy id and reason, never the password', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write: (chunk, _e, cb) => {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    const { pool } = fakePool({ proxies: [`http://alice:${SECRET}@10.0.0.1:80`], logger, breaker: { failureThreshold: 5 } });
    for (let i = 0; i < 5; i++) pool.report('http://alice@10.0.0.1:80', { ok: false, kind: 'proxy_unreachable' });
    pool.report('http://alice@10.0.0.1:80', { ok: false, kind: 'proxy_auth' });
    await pool.acquire({ wait: false }).catch(() => undefined);
    const text = lines.join('');
    expect(text).toContain('breaker opened');
    expect(text).toContain('"proxy":"http://alice@10.0.0.1:80"');
    expect(text).toContain('5 consecutive failures');
    expect(text).not.toContain(SECRET);
  });
});

describe('options', () => {
  it.each([
    [{ breaker: { failureThreshold: 0 } }, /Expected `breaker.failureThreshold` to be between 1|≥ 1/],
    [{ retry: { factor: 'x' } }, /Expected `retry.factor` to be a number/],
    [{ retry: { minDelayMs: 5_000, maxDelayMs: 10 } }, /retry.maxDelayMs/],
    [{ healthCheck: { url: 'not a url' } }, /healthCheck.url/],
    [{ score: { weights: { successRate: 0, responseTime: 0, recency: 0, consistency: 0 } } }, /positive sum/],
  ])('rejects %j naming the option', (options, message) => {
    expect(() => new ProxyPool(options as never)).toThrow(message);
  });

  it('names the line of a bad proxy given in the options', () => {
    expect(() => new ProxyPool({ proxies: '10.0.0.1:80\n10.0.0.2' })).toThrow(/line 2 of the proxies option: no port/);
    expect(() => new ProxyPool({ proxies: [] })).toThrow(/no proxies found in the proxies option/);
    expect(() => new ProxyPool({ proxies: '# none yet\n' })).toThrow(ProxyParseError);
  });
});

describe('fromEnv', () => {
  it('reads PROXIES, comma or newline separated', () => {
    const pool = ProxyPool.fromEnv({ env: { PROXIES: '10.0.0.1:80,10.0.0.2:80\n10.0.0.3:80' }, envFile: false });
    expect(pool.size).toBe(3);
  });

  it('reads PROXY_FILE, and .env when the variable is not set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-env-'));
    writeFileSync(join(dir, 'list.txt'), '# list\n10.0.0.1:80\n10.0.0.2:80:u:p\n');
    writeFileSync(join(dir, '.env'), 'PROXY_FILE=list.txt\n');
    const pool = ProxyPool.fromEnv({ env: {}, cwd: dir });
    expect(pool.proxies.map((p) => p.id)).toEqual(['http://10.0.0.1:80', 'http://u@10.0.0.2:80']);
    writeFileSync(join(dir, 'bad.txt'), '10.0.0.1:80\nnope\n');
    expect(() => ProxyPool.fromEnv({ env: { PROXY_FILE: 'bad.txt' }, cwd: dir })).toThrow(/line 2 of .*bad.txt: no port/);
    expect(() => ProxyPool.fromEnv({ env: { PROXY_FILE: 'missing.txt' }, cwd: dir })).toThrow(/cannot be read \(ENOENT\)/);
  });

  it('says what to set when nothing is configured', () => {
    expect(() => ProxyPool.fromEnv({ env: {}, envFile: false })).toThrow(ProxyParseError);
    expect(() => ProxyPool.fromEnv({ env: {}, envFile: false })).toThrow(/set PROXIES .* or PROXY_FILE/);
  });
});

describe('toGetNextProxy', () => {
  it('returns the server form and lets the crawler report outcomes', () => {
    const { pool } = fakePool({ proxies: [`10.0.0.1:80:alice:${SECRET}`] });
    const manager = toGetNextProxy(pool);
    const proxy = manager.getNextProxy()!;
    expect(proxy).toEqual({ server: 'http://10.0.0.1:80', username: 'alice', password: SECRET });
    expect(pool.getMetrics('http://alice@10.0.0.1:80')!.inFlight).toBe(1);
    expect(manager.reportFailure(proxy, { kind: 'proxy_unreachable' })).toBe(true);
    expect(pool.getMetrics('http://alice@10.0.0.1:80')).toMatchObject({ inFlight: 0, failedRequests: 1 });
    for (let i = 0; i < 4; i++) manager.reportFailure(manager.getNextProxy()!, { kind: 'proxy_unreachable' });
    expect(manager.getNextProxy()).toBeNull();
  });
});

describe('close', () => {
  it('wakes waiting acquires with PoolClosedError and refuses new ones', async () => {
    const { pool, clock } = fakePool({ proxies: ['10.0.0.1:80'] });
    for (let i = 0; i < 5; i++) pool.report('http://10.0.0.1:80', { ok: false, kind: 'proxy_unreachable' });
    const waiting = pool.acquire().catch((e: unknown) => e);
    await clock.advance(10);
    await pool.close();
    const error = await waiting;
    expect(error).toBeInstanceOf(PoolClosedError);
    expect(ProxyPoolError.is(error)).toBe(true);
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    await pool.close();
  });

  it('supports await using', async () => {
    let closedPool: ProxyPool;
    {
      await using pool = new ProxyPool({ proxies: ['10.0.0.1:80'] });
      closedPool = pool;
    }
    expect(closedPool.closed).toBe(true);
  });
});
