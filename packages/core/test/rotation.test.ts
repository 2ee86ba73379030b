import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Candidate,
  LeastUsed,
  type Lease,
  ProxyPool,
  ROTATION_NAMES,
  type RotationName,
  type RotationStrategy,
  WeightedRotation,
  sampleEligible,
} from '../src/index.js';
import { FakeClock, seededRandom } from '../src/testing/index.js';
import { fakePool, proxyList } from './helpers.js';

function failUntilOpen(pool: ProxyPool, proxyId: string) {
  for (let i = 0; i < 5; i++) pool.report(proxyId, { ok: false, kind: 'proxy_unreachable' });
  expect(pool.getMetrics(proxyId)?.circuitState).toBe('open');
}

describe.each(ROTATION_NAMES)('rotation %s', (rotation) => {
  it('skips open breakers, banned proxies for the target, excluded and removed proxies', async () => {
    const { pool } = fakePool({ rotation, proxies: proxyList(6) });
    const [a, b, c, d, e, f] = pool.proxies.map((p) => p.id) as [string, string, string, string, string, string];
    failUntilOpen(pool, a);
    pool.report(b, { ok: false, kind: 'blocked', status: 403 }, { target: 'https://shop.example/x' });
    // The block is charged (and b banned) once another proxy proves the site up.
    pool.report(e, { ok: true, latencyMs: 50 }, { target: 'https://shop.example/y' });
    expect(pool.getMetrics(b)?.bannedOn).toEqual(['shop.example']);
    pool.remove(c);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const lease = await pool.acquire({ target: 'https://www.shop.example/item', exclude: [d] });
      seen.add(lease.proxy.id);
      lease.success({ latencyMs: 100 });
    }
    expect([...seen].sort()).toEqual([e, f].sort());
    // b is banned for shop.example only: another site still gets it.
    const other = new Set<string>();
    for (let i = 0; i < 300; i++) other.add(pool.getProxy({ target: 'https://news.example/' })!.id);
    expect(other.has(b)).toBe(true);
    expect(other.has(a)).toBe(false);
  });

  it('never picks an open proxy while a closed one exists (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 30 }), fc.array(fc.nat(), { minLength: 1, maxLength: 29 }), fc.integer(), (n, toOpen, seed) => {
        const pool = new ProxyPool({ proxies: proxyList(n), rotation, clock: new FakeClock(), random: seededRandom(seed) });
        const ids = pool.proxies.map((p) => p.id);
        const open = new Set(toOpen.map((i) => ids[i % n]!));
        if (open.size === n) open.delete(ids[0]!);
        for (const id of open) for (let i = 0; i < 5; i++) pool.report(id, { ok: false, kind: 'proxy_unreachable' });
        for (let i = 0; i < 3 * n; i++) {
          const lease = pool.tryAcquire();
          if (!lease || open.has(lease.proxy.id)) return false;
          lease.release();
        }
        return true;
      }),
      { numRuns: 60 },
    );
  });

  it('returns nothing when every proxy is unusable, and the error says why', async () => {
    const { pool } = fakePool({ rotation, proxies: proxyList(2) });
    for (const p of pool.proxies) failUntilOpen(pool, p.id);
    expect(pool.getProxy()).toBeUndefined();
    await expect(pool.acquire({ wait: false })).rejects.toThrow(
      /no proxy is usable \(of 2: 2 with an open breaker: the last proxy_unreachable\)\. The next one is usable in (4[89]|[56]\d|7[0-2]) s/,
    );
  });
});

describe('round-robin', () => {
  it('is fair: over k full turns every usable proxy is picked exactly k times (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5 }), (n, turns) => {
        const pool = new ProxyPool({ proxies: proxyList(n), rotation: 'round-robin', clock: new FakeClock() });
        const counts = new Map<string, number>();
        for (let i = 0; i < n * turns; i++) {
          const id = pool.getProxy()!.id;
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        return counts.size === n && [...counts.values()].every((c) => c === turns);
      }),
    );
  });
});

describe('weighted', () => {
  const candidate = (index: number, score: number, extra: Partial<Candidate> = {}): Candidate =>
    ({
      proxy: { id: `p${index}` },
      score,
      inFlight: 0,
      uses: 0,
      lastUsedAt: undefined,
      latencyMs: undefined,
      judged: true,
      circuit: 'closed',
      index,
      ...extra,
    }) as Candidate;

  it('weighs a half-open proxy like a new one, so that its trial happens and a recovered proxy comes back', () => {
    const weighted = new WeightedRotation();
    const failed = candidate(0, 0.2);
    const trial = candidate(1, 0.2, { circuit: 'half-open' });
    const fresh = candidate(2, 0.5);
    expect(weighted.weight(trial)).toBeCloseTo(weighted.weight(fresh), 10);
    expect(weighted.weight(trial)).toBeGreaterThan(10 * weighted.weight(failed));
  });

  function pickShares(strategy: WeightedRotation, candidates: Candidate[], n = 40_000): number[] {
    const random = seededRandom(17);
    const counts = candidates.map(() => 0);
    const context = {
      candidates,
      target: undefined,
      isEligible: () => true,
      isEligibleAt: () => true,
      viewAt: (i: number) => candidates[i]!,
      random,
    };
    for (let i = 0; i < n; i++) counts[strategy.pick(context)!.index]!++;
    return counts.map((c) => c / n);
  }

  it('sends work in proportion to score³, so healthy proxies get most of it', () => {
    const strategy = new WeightedRotation();
    const candidates = [candidate(0, 0.9), candidate(1, 0.45)];
    const [good] = pickShares(strategy, candidates);
    expect(good).toBeCloseTo(0.9 ** 3 / (0.9 ** 3 + 0.45 ** 3), 1);
    expect(good).toBeGreaterThan(0.85);
  });

  it('gives a proxy twice as slow as the pool’s typical one a quarter of the work, and a loaded one less', () => {
    const strategy = new WeightedRotation();
    const fast = [0, 1, 2].map((i) => candidate(i, 0.8, { latencyMs: 200 }));
    const slow = candidate(3, 0.8, { latencyMs: 400 });
    const all = [...fast, slow];
    for (let k = 0; k < 200; k++) for (const c of all) strategy.onUpdated(c); // learn the typical latency
    const shares = pickShares(strategy, all);
    // The typical latency (a running average) sits a little above 200 ms, so slightly more than ¼.
    const expected = strategy.weight(slow) / strategy.weight(fast[0]!);
    expect(expected).toBeGreaterThan(0.25);
    expect(expected).toBeLessThan(0.45);
    expect(shares[3]! / shares[0]!).toBeCloseTo(expected, 1);
    const loaded = candidate(0, 0.8, { latencyMs: 200, inFlight: 3 });
    expect(strategy.weight(loaded)).toBeCloseTo(strategy.weight(fast[1]!) / 4, 5);
  });

  it('weighs a proxy by its score as it is now, not as it was when last used', async () => {
    // b failed twice an hour ago (its breaker stayed closed) and has not been picked since; its
    // failures have faded, so it is about as healthy as a: it gets its share at once.
    const { pool, clock } = fakePool({ rotation: 'weighted', proxies: proxyList(2), seed: 5, targetHealth: { enabled: false } });
    const [a, b] = pool.proxies;
    for (let i = 0; i < 5; i++) pool.report(a!, { ok: true, latencyMs: 100 });
    for (let i = 0; i < 2; i++) pool.report(b!, { ok: false, kind: 'timeout' });
    let picksOfB = 0;
    for (let i = 0; i < 200; i++) if (pool.getProxy() === b) picksOfB++;
    expect(picksOfB).toBeLessThan(20); // distrusted now
    await clock.advance(60 * 60_000);
    picksOfB = 0;
    for (let i = 0; i < 50; i++) if (pool.getProxy() === b) picksOfB++;
    expect(picksOfB).toBeGreaterThan(10);
  });

  it('picks in proportion to the weights in a pool of judged and untried proxies', () => {
    // Rejection sampling over weights computed at pick time: shares proportional to the weights.
    const { pool } = fakePool({ rotation: 'weighted', proxies: proxyList(6), seed: 11 });
    const ids = pool.proxies.map((p) => p.id);
    for (let i = 0; i < 6; i++) pool.report(ids[0]!, { ok: true, latencyMs: 100 });
    for (let i = 0; i < 2; i++) pool.report(ids[1]!, { ok: true, latencyMs: 100 });
    // (It worked once: a proxy that failed and never worked is picked after the untried ones, see the pool's tests.)
    pool.report(ids[2]!, { ok: true, latencyMs: 100 });
    pool.report(ids[2]!, { ok: false, kind: 'proxy_unreachable' });
    // Every latency is the pool's typical one: the weight is the score cubed.
    const weights = ids.map((id) => pool.getMetrics(id)!.healthScore ** 3);
    const total = weights.reduce((a, b) => a + b, 0);
    const counts = new Map<string, number>();
    const n = 30_000;
    for (let i = 0; i < n; i++) {
      const id = pool.getProxy()!.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const [i, id] of ids.entries()) expect((counts.get(id) ?? 0) / n, id).toBeCloseTo(weights[i]! / total, 2);
  });

  it('tells the strategy of every change to a proxy’s numbers, failures charged later included', () => {
    const updated: string[] = [];
    const strategy: RotationStrategy = {
      pick: (context) => sampleEligible(context, 8),
      onUpdated: (candidate) => updated.push(candidate.proxy.id),
    };
    const { pool } = fakePool({ rotation: strategy, proxies: proxyList(2) });
    const [a, b] = pool.proxies;
    pool.report(a!, { ok: false, kind: 'timeout' }, { target: 'https://shop.example/' }); // pending: the site may be down
    updated.length = 0;
    pool.report(b!, { ok: true }, { target: 'https://shop.example/' }); // the site is up: a's failure is a's
    expect(pool.getMetrics(a!)!.failedRequests).toBe(1);
    expect(updated).toContain(a!.id);
  });

  it('keeps drawing rather than scan a large pool that is mostly dead', () => {
    // With 64 draws a pick, nine in ten proxies dead and the live ones new (an eighth of a
    // healthy weight), half the picks fell back to a scan of the whole pool.
    const counted = countingChecks(new WeightedRotation());
    const { pool } = fakePool({
      rotation: counted.strategy,
      proxies: proxyList(4_000),
      breaker: { failureThreshold: 1 },
      targetHealth: { enabled: false },
    });
    const ids = pool.proxies.map((p) => p.id);
    for (const [i, id] of ids.entries()) if (i % 10 !== 0) pool.report(id, { ok: false, kind: 'proxy_unreachable' });
    const picks = 500;
    for (let i = 0; i < picks; i++) {
      const lease = pool.tryAcquire()!;
      expect(ids.indexOf(lease.proxy.id) % 10).toBe(0);
      lease.release();
    }
    expect(counted.checks() / picks).toBeLessThan(500); // a scan reads all 4,000, twice
  });

  it('still picks proportionally when most proxies are unusable (the exact scan)', async () => {
    const { pool } = fakePool({ rotation: 'weighted', proxies: proxyList(50), seed: 3 });
    const ids = pool.proxies.map((p) => p.id);
    for (const id of ids.slice(2)) for (let i = 0; i < 3; i++) pool.report(id, { ok: false, kind: 'proxy_unreachable' });
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(pool.getProxy()!.id);
    expect([...seen].sort()).toEqual(ids.slice(0, 2).sort());
  });
});

describe('least-used', () => {
  it('prefers the proxy with the fewest leases in flight', async () => {
    const { pool } = fakePool({ rotation: 'least-used', proxies: proxyList(3) });
    const held = [await pool.acquire(), await pool.acquire(), await pool.acquire()];
    expect(new Set(held.map((l) => l.proxy.id)).size).toBe(3);
    held[1]!.success();
    const next = await pool.acquire();
    expect(next.proxy.id).toBe(held[1]!.proxy.id);
  });

  it('among proxies used as often, picks the one used longest ago, whatever order their leases ended in', async () => {
    const { pool, clock } = fakePool({ rotation: 'least-used', proxies: proxyList(4) });
    const held = [];
    for (let i = 0; i < 4; i++) {
      held.push(pool.tryAcquire()!);
      await clock.advance(10);
    }
    for (const lease of [...held].reverse()) lease.success(); // the last leased ends first
    const order = [];
    for (let i = 0; i < 4; i++) {
      const lease = pool.tryAcquire()!;
      order.push(lease.proxy);
      lease.success();
    }
    expect(order).toEqual(held.map((l) => l.proxy));
  });

  it('stays O(1) a pick and spreads the load when the least used proxies are the dead ones', () => {
    // Dead proxies are the least used because they are not used: they gather at the front of the
    // order. A pick must not scan the pool past them (it did, every pick) and must still spread.
    const counted = countingChecks(new LeastUsed());
    const { pool } = fakePool({
      rotation: counted.strategy,
      proxies: proxyList(2_000),
      breaker: { failureThreshold: 1 },
      targetHealth: { enabled: false },
    });
    const ids = pool.proxies.map((p) => p.id);
    const live = new Set(ids.filter((_, i) => i % 4 === 0));
    for (const id of ids) if (!live.has(id)) pool.report(id, { ok: false, kind: 'proxy_unreachable' });
    const uses = new Map<string, number>();
    const picks = 4_000;
    for (let i = 0; i < picks; i++) {
      const lease = pool.tryAcquire()!;
      expect(live.has(lease.proxy.id)).toBe(true);
      uses.set(lease.proxy.id, (uses.get(lease.proxy.id) ?? 0) + 1);
      lease.success();
    }
    expect(counted.checks() / picks).toBeLessThan(100); // a scan would be 2,000
    const counts = [...live].map((id) => uses.get(id) ?? 0);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(4); // 8 each on average: nobody starves
    expect(Math.max(...counts)).toBeLessThanOrEqual(12);
  });

  it('spreads sequential use evenly', () => {
    const { pool } = fakePool({ rotation: 'least-used', proxies: proxyList(7) });
    const counts = new Map<string, number>();
    for (let i = 0; i < 70; i++) {
      const lease = pool.tryAcquire()!;
      counts.set(lease.proxy.id, (counts.get(lease.proxy.id) ?? 0) + 1);
      lease.success();
    }
    expect([...counts.values()]).toEqual(Array(7).fill(10));
  });

  it('always picks a least-used proxy, through any sequence of leases, outcomes, adds, removes and time', async () => {
    // Checked against a brute-force scan of the pool's own metrics after every step: the buckets
    // survive the pool moving its last proxy into a removed one's place.
    // Time passes between steps, so that last use orders proxies with equal counts, and leases end in any order.
    type Op =
      | { op: 'acquire' }
      | { op: 'end'; which: number; ok: boolean }
      | { op: 'add' }
      | { op: 'remove'; which: number }
      | { op: 'tick'; ms: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.constant({ op: 'acquire' as const }) },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('end' as const), which: fc.nat(), ok: fc.boolean() }) },
      { weight: 1, arbitrary: fc.constant({ op: 'add' as const }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), which: fc.nat() }) },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 50 }) }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 120 }), async (ops) => {
        const { pool, clock } = fakePool({ rotation: 'least-used', proxies: proxyList(6), breaker: { failureThreshold: 1_000 } });
        const held: Lease[] = [];
        let added = 0;
        for (const step of ops) {
          if (step.op === 'acquire') {
            const m = pool.snapshot().proxies;
            const lease = pool.tryAcquire();
            if (!lease) {
              expect(m.length).toBe(0);
              continue;
            }
            const key = (x: (typeof m)[number]) => [x.inFlight, x.totalRequests + x.inFlight, x.lastUsedAt ?? -1];
            const mine = key(m.find((x) => x.proxy === lease.proxy.id)!);
            for (const other of m) {
              const k = key(other);
              // No proxy orders strictly before the one picked (by in flight, then uses, then last use).
              const before = k[0]! < mine[0]! || (k[0] === mine[0] && (k[1]! < mine[1]! || (k[1] === mine[1] && k[2]! < mine[2]!)));
              expect(before, `${other.proxy} before ${lease.proxy.id}`).toBe(false);
            }
            held.push(lease);
          } else if (step.op === 'end' && held.length > 0) {
            const [lease] = held.splice(step.which % held.length, 1);
            if (step.ok) lease!.success();
            // A blameless failure: one the pool holds against the proxy would put it behind the
            // untried ones (the cold-start rule, tested in pool.test.ts), which this model leaves out.
            else lease!.failure({ kind: 'target_error' });
          } else if (step.op === 'add') {
            pool.add(`10.7.0.${++added}:9000`);
          } else if (step.op === 'remove' && pool.size > 0) {
            pool.remove(pool.proxies[step.which % pool.size]!);
          } else if (step.op === 'tick') {
            await clock.advance(step.ms);
          }
        }
        for (const lease of held) lease.release();
      }),
      { numRuns: 150 },
    );
  });
});

describe('power-of-two', () => {
  it('avoids a loaded proxy and a sick one', async () => {
    const { pool } = fakePool({ rotation: 'power-of-two', proxies: proxyList(2), seed: 5 });
    const [a, b] = pool.proxies.map((p) => p.id) as [string, string];
    const held = [];
    for (let i = 0; i < 3; i++) {
      const lease = pool.tryAcquire({ exclude: [b] })!;
      held.push(lease);
    }
    // a has 3 in flight, b none: b wins whenever both are drawn.
    let bPicks = 0;
    for (let i = 0; i < 200; i++) if (pool.getProxy()!.id === b) bPicks++;
    expect(bPicks).toBeGreaterThan(100);
    for (const l of held) l.success();
    expect(a).not.toBe(b);
  });
});

describe('custom strategy', () => {
  it('is an object with one method', async () => {
    const lastFirst: RotationStrategy = {
      pick({ candidates, isEligible }) {
        for (let i = candidates.length - 1; i >= 0; i--) if (isEligible(candidates[i]!)) return candidates[i];
        return undefined;
      },
    };
    const { pool } = fakePool({ rotation: lastFirst, proxies: proxyList(3) });
    expect((await pool.acquire()).proxy.id).toBe(pool.proxies[2]!.id);
  });

  it('cannot make the pool hand out an ineligible proxy', () => {
    const bad: RotationStrategy = { pick: ({ candidates }) => candidates[0] as Candidate };
    const { pool } = fakePool({ rotation: bad, proxies: proxyList(2) });
    failUntilOpen(pool, pool.proxies[0]!.id);
    expect(() => pool.tryAcquire()).toThrow(/not eligible/);
  });

  it('rejects what is not a strategy', () => {
    expect(() => new ProxyPool({ rotation: 'fastest' as RotationName })).toThrow(/Expected `rotation` to be one of/);
    expect(() => new ProxyPool({ rotation: {} as RotationStrategy })).toThrow(/pick\(context\)/);
  });
});

/** A built-in strategy behind a wrapper that counts the eligibility checks its picks make. */
function countingChecks(inner: RotationStrategy & Required<Pick<RotationStrategy, 'pickIndex'>>): {
  strategy: RotationStrategy;
  checks: () => number;
} {
  let checks = 0;
  const strategy: RotationStrategy = {
    onAdded: (c) => inner.onAdded?.(c),
    onRemoved: (c) => inner.onRemoved?.(c),
    onUpdated: (c) => inner.onUpdated?.(c),
    pickIndex: (context) =>
      inner.pickIndex({
        ...context,
        random: context.random,
        isEligible: (c) => context.isEligible(c),
        isEligibleAt: (i) => {
          checks++;
          return context.isEligibleAt(i);
        },
      }),
    pick: () => undefined,
  };
  return { strategy, checks: () => checks };
}
