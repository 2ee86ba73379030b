import { describe, expect, it } from 'vitest';
import { type HealthRecord, type HealthStore, MemoryHealthStore, ProxyPool } from '../src/index.js';
import { fakePool, proxyList } from './helpers.js';

describe('per-proxy health numbers (kept in table rows)', () => {
  it('survive the table growing, proxy by proxy', async () => {
    // The table starts small and doubles: every proxy's numbers must survive each copy.
    const { pool } = fakePool({ proxies: proxyList(3) });
    const first = pool.proxies[0]!;
    pool.report(first, { ok: true, latencyMs: 321 });
    pool.report(first, { ok: false, kind: 'timeout' });
    const before = pool.getMetrics(first)!;
    for (let i = 0; i < 500; i++) pool.add(`10.9.${i >> 8}.${i & 255}:3128`);
    expect(pool.getMetrics(first)).toEqual(before);
    expect(before).toMatchObject({ totalRequests: 2, successfulRequests: 1, failedRequests: 1, avgResponseTime: 321 });
    const added = pool.getMetrics('10.9.1.243:3128')!;
    expect(added).toMatchObject({
      totalRequests: 0,
      avgResponseTime: 0,
      lastSuccessAt: undefined,
      lastFailureAt: undefined,
      lastUsedAt: undefined,
    });
    expect(added.healthScore).toBeCloseTo(0.5, 10);
  });

  it('move with their proxy when another leaves: the moved proxy keeps its numbers and its open breaker', () => {
    // Removing a proxy moves the last one (and its row) into the gap; picks read rows by index.
    const { pool } = fakePool({ proxies: proxyList(4), rotation: 'round-robin' });
    const [first, , , last] = pool.proxies;
    pool.report(last!, { ok: true, latencyMs: 77 });
    for (let i = 0; i < 3; i++) pool.report(last!, { ok: false, kind: 'proxy_unreachable' });
    const before = pool.getMetrics(last!)!;
    expect(before.circuitState).toBe('open');
    pool.remove(first!);
    expect(pool.proxies[0]).toBe(last); // it moved
    expect(pool.getMetrics(last!)).toEqual(before);
    const picked = new Set<string>();
    for (let i = 0; i < 12; i++) picked.add(pool.getProxy()!.id);
    expect([...picked].sort()).toEqual([pool.proxies[1]!.id, pool.proxies[2]!.id].sort());
    // And the other way: a usable proxy moved into an open one's place is picked.
    pool.remove(last!);
    expect(pool.size).toBe(2);
    const again = new Set<string>();
    for (let i = 0; i < 12; i++) again.add(pool.getProxy()!.id);
    expect(again.size).toBe(2);
  });

  it('are where a lease ends even when its proxy moved while the lease was out, and a removed proxy’s lease touches nobody', () => {
    const { pool } = fakePool({ proxies: proxyList(3), rotation: 'round-robin' });
    const [a, b, c] = pool.proxies;
    const [leaseA, leaseB, leaseC] = [pool.tryAcquire()!, pool.tryAcquire()!, pool.tryAcquire()!];
    expect([leaseA.proxy, leaseB.proxy, leaseC.proxy]).toEqual([a, b, c]);
    pool.remove(a!);
    expect(pool.proxies).toEqual([c, b]); // c moved into a's place, with its row
    leaseC.success({ latencyMs: 50 });
    leaseA.failure({ kind: 'proxy_unreachable' }); // finishes quietly
    expect(pool.getMetrics(c!)).toMatchObject({ inFlight: 0, totalRequests: 1, successfulRequests: 1, avgResponseTime: 50 });
    expect(pool.getMetrics(b!)).toMatchObject({ inFlight: 1, totalRequests: 0 });
    leaseB.failure({ kind: 'proxy_unreachable' });
    expect(pool.getMetrics(b!)).toMatchObject({ inFlight: 0, totalRequests: 1, failedRequests: 1 });
    expect(pool.getMetrics(c!)).toMatchObject({ inFlight: 0, totalRequests: 1, failedRequests: 0 });
  });

  it('stay with their proxies when a listener removes a proxy while its outcome is being recorded', async () => {
    // Dropping a proxy from a breaker event is a natural listener; the removal moves the last
    // proxy into the gap while the outcome that fired the event is still being recorded.
    for (const rotation of ['least-used', 'weighted', 'round-robin'] as const) {
      const { pool, clock } = fakePool({
        proxies: proxyList(3),
        rotation,
        breaker: { failureThreshold: 2, successThreshold: 1, openMs: 1_000 },
        targetHealth: { enabled: false },
      });
      const [a, b, c] = pool.proxies;
      const fail = { ok: false, kind: 'proxy_unreachable' } as const;
      pool.report(a!, fail);
      pool.report(a!, fail); // a's breaker opens
      pool.report(c!, { ok: true, latencyMs: 40 }); // (it has worked: not held behind the others)
      pool.report(c!, fail); // c, the last, has one failure in a row
      pool.on('breakerClose', ({ proxy }) => pool.remove(proxy));
      await clock.advance(1_500); // a is half-open
      const trial = pool.tryAcquire({ exclude: [b!, c!] })!;
      expect(trial.proxy).toBe(a);
      trial.success(); // closes a's breaker: the listener removes a, c moves into its place
      expect(pool.proxies).toEqual([c, b]);
      expect(pool.getMetrics(c!), rotation).toMatchObject({ consecutiveFailures: 1, totalRequests: 2, inFlight: 0 });
      // Leases go on as before, and end on the right proxies.
      const picked: string[] = [];
      for (let i = 0; i < 4; i++) {
        const lease = pool.tryAcquire()!;
        picked.push(lease.proxy.id);
        lease.success({ latencyMs: 40 });
      }
      expect(pool.getMetrics(b!)!.successfulRequests + pool.getMetrics(c!)!.successfulRequests, rotation).toBe(5);
      if (rotation !== 'weighted') expect(new Set(picked).size, rotation).toBe(2);
      await pool.close();
    }
  });

  it('follow a store that opens a breaker or bans a proxy between two calls into the pool', () => {
    // What a store shared by several machines does when another machine learns a proxy is dead.
    const records = new Map<string, HealthRecord>();
    const store: HealthStore = { attach: (id, record) => records.set(id, record), detach: (id) => records.delete(id) };
    const { pool, clock } = fakePool({ proxies: proxyList(3), rotation: 'round-robin', healthStore: store });
    const [dead, banned, good] = pool.proxies.map((p) => p.id);
    const now = clock.now();
    records.get(dead!)!.breaker = { state: 'open', openedAt: now, until: now + 60_000, streak: 1, reason: 'another machine' };
    records.get(banned!)!.bans = new Map([['shop.example', { until: now + 60_000, level: 1, kind: 'blocked', at: now }]]);
    const picked = new Set<string>();
    for (let i = 0; i < 9; i++) picked.add(pool.getProxy({ target: 'https://www.shop.example/' })!.id);
    expect([...picked]).toEqual([good]);
    expect(pool.getMetrics(dead!)!.circuitState).toBe('open');
    expect(pool.getMetrics(banned!)!.bannedOn).toEqual(['shop.example']);
  });

  it('start fresh for a proxy added where a removed one was, with no trace of the old one', () => {
    const { pool } = fakePool({ proxies: proxyList(2) });
    const [gone] = pool.proxies;
    for (let i = 0; i < 3; i++) pool.report(gone!, { ok: false, kind: 'proxy_unreachable' });
    expect(pool.getMetrics(gone!)!.circuitState).toBe('open');
    pool.remove(gone!);
    const fresh = pool.add('10.8.0.1:3128');
    const m = pool.getMetrics(fresh)!;
    expect(m).toMatchObject({
      totalRequests: 0,
      failedRequests: 0,
      consecutiveFailures: 0,
      circuitState: 'closed',
      lastFailureAt: undefined,
    });
    expect(m.healthScore).toBeCloseTo(0.5, 10);
  });

  it('are forgotten when a proxy is removed and added back, unless a store keeps them', () => {
    const { pool } = fakePool({ proxies: proxyList(2) });
    const [proxy] = pool.proxies;
    pool.report(proxy!, { ok: true, latencyMs: 50 });
    pool.remove(proxy!);
    pool.add(proxy!);
    expect(pool.getMetrics(proxy!)!.totalRequests).toBe(0);

    const store = new MemoryHealthStore();
    const kept = fakePool({ proxies: proxyList(2), healthStore: store }).pool;
    for (let i = 0; i < 3; i++) kept.report(proxy!, { ok: false, kind: 'proxy_unreachable' });
    kept.remove(proxy!);
    expect(store.size).toBe(1);
    kept.add(proxy!);
    expect(kept.getMetrics(proxy!)).toMatchObject({ totalRequests: 3, failedRequests: 3, circuitState: 'open' });
    // The open breaker came back with it: the proxy is not picked.
    expect(kept.getProxy({ exclude: kept.proxies.filter((p) => p.id !== proxy!.id) })).toBeUndefined();
  });

  it('carry over to a second pool of the same process through a shared store, when the first closes', async () => {
    const store = new MemoryHealthStore();
    const list = proxyList(3);
    const first = new ProxyPool({ proxies: list, healthStore: store });
    first.report(list[1]!, { ok: true, latencyMs: 40 });
    first.report(list[1]!, { ok: true, latencyMs: 60 });
    await first.close();
    const second = new ProxyPool({ proxies: list, healthStore: store });
    expect(second.getMetrics(list[1]!)).toMatchObject({ totalRequests: 2, successfulRequests: 2, avgResponseTime: 46 });
    expect(second.getMetrics(list[0]!)!.totalRequests).toBe(0);
    await second.close();
  });
});
