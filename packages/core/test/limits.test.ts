import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, type Lease, NoProxyAvailableError, ProxyPool, ROTATION_NAMES } from '../src/index.js';
import { FakeClock, seededRandom } from '../src/testing/index.js';
import { fakePool, proxyList } from './helpers.js';

const SHOP = 'https://shop.example/item';
const NEWS = 'https://news.example/';

describe('limits.maxInFlight', () => {
  it('never gives a proxy more leases at once; the next acquire waits for a lease to end, or refuses at once', async () => {
    const { pool } = fakePool({ proxies: proxyList(2), limits: { maxInFlight: 2 } });
    const leases = await Promise.all([1, 2, 3, 4].map(() => pool.acquire({ target: SHOP })));
    for (const p of pool.proxies) expect(pool.getMetrics(p)).toMatchObject({ inFlight: 2, maxInFlight: 2 });
    const refused = await pool.acquire({ target: SHOP, wait: false }).catch((e) => e);
    expect(refused).toBeInstanceOf(NoProxyAvailableError);
    expect(refused).toMatchObject({ limit: 'maxInFlight' });
    expect(refused.message).toMatch(/2 at their limit of leases at once \(limits\.maxInFlight\)/);
    const waiting = pool.acquire({ target: SHOP });
    leases[1]!.success();
    const next = await waiting;
    expect(next.proxy).toBe(leases[1]!.proxy);
  });

  it('gives up after maxWaitMs, saying which limit held it', async () => {
    const { pool, clock } = fakePool({ proxies: proxyList(1), limits: { maxInFlight: 1 } });
    await pool.acquire();
    const job = pool.acquire({ maxWaitMs: 500 }).catch((e) => e);
    await clock.advance(500);
    const error = await job;
    expect(error).toBeInstanceOf(NoProxyAvailableError);
    expect(error).toMatchObject({ limit: 'maxInFlight' });
  });
});

describe('limits.minIntervalMs', () => {
  it('spaces two leases of one proxy for one target, and holds no other target back', async () => {
    const { pool, clock } = fakePool({ proxies: proxyList(1), limits: { minIntervalMs: 1_000 } });
    (await pool.acquire({ target: SHOP })).success();
    const refused = await pool.acquire({ target: 'https://www.shop.example/other', wait: false }).catch((e) => e);
    expect(refused).toMatchObject({ limit: 'minIntervalMs', nextAvailableAt: clock.now() + 1_000 });
    expect(refused.message).toMatch(/1 spaced out for shop\.example \(limits\.minIntervalMs\)\)\. The next one is usable in 1 s/);
    expect(pool.getMetrics(pool.proxies[0]!)!.nextStartAt).toEqual({ 'shop.example': clock.now() + 1_000 });
    // Another site is not held back.
    (await pool.acquire({ target: NEWS, wait: false })).success();
    let got: Lease | undefined;
    const waiting = pool.acquire({ target: SHOP }).then((lease) => {
      got = lease;
    });
    await clock.advance(999);
    expect(got).toBeUndefined();
    await clock.advance(1);
    await waiting;
    expect(got).toBeDefined();
  });

  it.each(ROTATION_NAMES)('%s: prefers a proxy with room over waiting', async (rotation) => {
    const { pool } = fakePool({ rotation, proxies: proxyList(3), limits: { minIntervalMs: 60_000 } });
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const lease = await pool.acquire({ target: SHOP, wait: false });
      ids.add(lease.proxy.id);
      lease.success();
    }
    expect(ids.size).toBe(3);
  });
});

describe('limits hold under any sequence of leases, outcomes, removals and time (property)', () => {
  it('never more than maxInFlight at once, never two starts closer than minIntervalMs', async () => {
    const targets = [SHOP, NEWS, undefined];
    const op = fc.oneof(
      fc.record({ type: fc.constant('acquire' as const), target: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ type: fc.constant('end' as const), which: fc.nat(), ok: fc.boolean() }),
      fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 700 }) }),
      fc.record({ type: fc.constant('remove' as const), which: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROTATION_NAMES),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 1_500 }),
        fc.array(op, { maxLength: 120 }),
        fc.integer(),
        async (rotation, maxInFlight, minIntervalMs, ops, seed) => {
          const clock = new FakeClock();
          const pool = new ProxyPool({
            proxies: proxyList(4),
            rotation,
            clock,
            random: seededRandom(seed),
            limits: { maxInFlight, minIntervalMs },
            targetHealth: false,
          });
          const open: Lease[] = [];
          const starts = new Map<string, number>(); // proxy + target → last start
          for (const o of ops) {
            if (o.type === 'acquire') {
              const target = targets[o.target];
              const lease = pool.tryAcquire({ target });
              if (!lease) continue;
              open.push(lease);
              const key = `${lease.proxy.id} ${lease.target ?? '*'}`;
              const last = starts.get(key);
              if (last !== undefined) expect(clock.now() - last).toBeGreaterThanOrEqual(minIntervalMs);
              starts.set(key, clock.now());
              const inFlight = open.filter((l) => l.proxy === lease.proxy).length;
              expect(inFlight).toBeLessThanOrEqual(maxInFlight);
              expect(pool.getMetrics(lease.proxy)!.inFlight).toBe(inFlight);
            } else if (o.type === 'end' && open.length > 0) {
              const [lease] = open.splice(o.which % open.length, 1);
              if (o.ok) lease!.success();
              else lease!.failure({ kind: 'connection' });
            } else if (o.type === 'advance') {
              await clock.advance(o.ms);
            } else if (o.type === 'remove' && pool.size > 1) {
              const gone = pool.proxies[o.which % pool.size]!;
              pool.remove(gone);
              for (let i = open.length - 1; i >= 0; i--) if (open[i]!.proxy === gone) open.splice(i, 1)[0]!.release();
              // Back, as a new member: a removed proxy's history is forgotten, its spacing too. The
              // others keep theirs wherever a removal moved them (checked on their next start).
              for (const key of [...starts.keys()]) if (key.startsWith(`${gone.id} `)) starts.delete(key);
              pool.add(gone.id);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('limits options', () => {
  it('are coded errors naming the option for bad values', () => {
    const bad: Array<[object, string]> = [
      [{ maxInFlight: 0 }, 'limits.maxInFlight'],
      [{ maxInFlight: -1 }, 'limits.maxInFlight'],
      [{ maxInFlight: 1.5 }, 'limits.maxInFlight'],
      [{ maxInFlight: Number.NaN }, 'limits.maxInFlight'],
      [{ minIntervalMs: 0 }, 'limits.minIntervalMs'],
      [{ minIntervalMs: -5 }, 'limits.minIntervalMs'],
      [{ minIntervalMs: '100' }, 'limits.minIntervalMs'],
    ];
    for (const [limits, option] of bad) {
      const error = (() => {
        try {
          new ProxyPool({ limits: limits as never });
        } catch (e) {
          return e;
        }
      })();
      expect(error, option).toBeInstanceOf(InvalidOptionError);
      expect(error, option).toMatchObject({ code: 'ERR_INVALID_OPTION', option });
      expect((error as Error).message, option).toContain(`\`${option}\``);
    }
  });

  it('name a misspelt option and suggest the right one, at any depth', () => {
    expect(() => new ProxyPool({ limts: { maxInFlight: 2 } } as never)).toThrow('Unknown option `limts`. Did you mean `limits`?');
    expect(() => new ProxyPool({ limits: { maxInflight: 2 } } as never)).toThrow(
      'Unknown option `limits.maxInflight`. Did you mean `limits.maxInFlight`?',
    );
    expect(() => new ProxyPool({ breaker: { failureTreshold: 2 } } as never)).toThrow('Did you mean `breaker.failureThreshold`?');
    expect(() => new ProxyPool({ retry: { retires: 2 } } as never)).toThrow('Did you mean `retry.retries`?');
    expect(() => new ProxyPool({ zzz: 1 } as never)).toThrow(/Unknown option `zzz`\. Known options: `proxies`/);
  });

  it('cost nothing when unset: a proxy has no limit in its metrics', () => {
    const { pool } = fakePool({ proxies: proxyList(1) });
    expect(pool.getMetrics(pool.proxies[0]!)).toMatchObject({ maxInFlight: undefined, nextStartAt: {} });
  });
});
