import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BreakerState,
  type HealthRecord,
  type HealthStore,
  type HealthStoreLink,
  type LimitAnswer,
  type LimitClaim,
  NoProxyAvailableError,
  ProxyPool,
  type ProxyPoolOptions,
} from '../src/index.js';
import { FakeClock, seededRandom } from '../src/testing/index.js';
import { proxyList } from './helpers.js';

const SHOP = 'https://shop.example/item';

/**
 * A fleet in one process: what a shared store (Redis) does for the pool, kept in memory, so
 * that the pool's side of the contract is tested on fake time. Each worker gets a store of
 * its own over the fleet's shared state.
 */
class Fleet {
  readonly inFlight = new Map<string, Set<string>>(); // proxy → claim tokens
  readonly lastStart = new Map<string, number>(); // proxy + target → time
  readonly links: HealthStoreLink[] = [];
  maxSeenInFlight = 0;
  grants = 0;
  releases = 0;
  broken = false;

  constructor(readonly clock: FakeClock) {}

  store(worker: string): HealthStore & { closed: number } {
    const fleet = this;
    let link: HealthStoreLink | undefined;
    const store = {
      closed: 0,
      attach(_id: string, _record: HealthRecord) {},
      detach(_id: string, _record: HealthRecord) {},
      link(l: HealthStoreLink) {
        link = l;
        fleet.links.push(l);
      },
      targetChanged(target: string, down: boolean) {
        for (const other of fleet.links) if (other !== link) other.setTargetDown(target, down);
      },
      gatewayChanged(id: string, breaker: BreakerState) {
        for (const other of fleet.links) if (other !== link) other.setGatewayBreaker(id, breaker);
      },
      async claim(claim: LimitClaim): Promise<LimitAnswer> {
        await Promise.resolve(); // a round trip
        if (fleet.broken) throw new Error('redis is down');
        const now = fleet.clock.now();
        const held = fleet.inFlight.get(claim.proxyId) ?? new Set<string>();
        if (claim.maxInFlight !== undefined && held.size >= claim.maxInFlight) return { ok: false, limit: 'maxInFlight', retryInMs: 100 };
        const key = `${claim.proxyId} ${claim.target}`;
        const last = fleet.lastStart.get(key);
        if (claim.minIntervalMs > 0 && last !== undefined && last + claim.minIntervalMs > now)
          return { ok: false, limit: 'minIntervalMs', retryInMs: last + claim.minIntervalMs - now };
        held.add(`${worker}:${claim.leaseId}`);
        fleet.inFlight.set(claim.proxyId, held);
        fleet.maxSeenInFlight = Math.max(fleet.maxSeenInFlight, held.size);
        if (claim.minIntervalMs > 0) fleet.lastStart.set(key, now);
        fleet.grants++;
        return { ok: true };
      },
      release(claim: LimitClaim) {
        const held = fleet.inFlight.get(claim.proxyId);
        if (!held?.delete(`${worker}:${claim.leaseId}`)) throw new Error(`released twice or never claimed: ${claim.leaseId}`);
        fleet.releases++;
      },
      close() {
        store.closed++;
      },
    };
    return store;
  }
}

function workers(n: number, options: ProxyPoolOptions) {
  const clock = new FakeClock();
  const fleet = new Fleet(clock);
  const pools = Array.from({ length: n }, (_, i) => {
    const store = fleet.store(`w${i}`);
    return { store, pool: new ProxyPool({ clock, random: seededRandom(i + 1), healthStore: store, ...options }) };
  });
  return { clock, fleet, pools };
}

describe('fleet-wide limits (the pool asks its store once a lease passed its own limits)', () => {
  it('maxInFlight holds across workers: a worker waits while the others hold the proxy, then gets it', async () => {
    const { clock, fleet, pools } = workers(2, { proxies: proxyList(1), limits: { maxInFlight: 1 } });
    const [a, b] = pools.map((w) => w.pool);
    const held = await a!.acquire({ target: SHOP });
    let got = false;
    const waiting = b!.acquire({ target: SHOP }).then((lease) => {
      got = true;
      return lease;
    });
    await clock.advance(250);
    expect(got).toBe(false); // the fleet holds it: b asks again every retryInMs
    held.success();
    await clock.advance(100);
    const lease = await waiting;
    expect(lease.proxy.id).toBe(held.proxy.id);
    expect(fleet.maxSeenInFlight).toBe(1);
    lease.success();
    expect(fleet.releases).toBe(fleet.grants);
  });

  it('a proxy the fleet holds is passed over for another one here, without waiting', async () => {
    const { fleet, pools } = workers(2, { proxies: proxyList(3), limits: { maxInFlight: 1 } });
    const [a, b] = pools.map((w) => w.pool);
    const aLeases = [await a!.acquire(), await a!.acquire()];
    const bLease = await b!.acquire();
    expect(aLeases.map((l) => l.proxy.id)).not.toContain(bLease.proxy.id);
    // The refused leases ended here unused.
    const inFlight = b!.proxies.reduce((sum, p) => sum + b!.getMetrics(p)!.inFlight, 0);
    expect(inFlight).toBe(1);
    const refused = await b!.acquire({ wait: false }).catch((e) => e);
    expect(refused).toBeInstanceOf(NoProxyAvailableError);
    expect(refused).toMatchObject({ limit: 'maxInFlight' });
    expect(refused.message).toMatch(/across the fleet: limits\.maxInFlight/);
    expect(fleet.maxSeenInFlight).toBe(1);
  });

  it('minIntervalMs spaces starts across workers, for one target only', async () => {
    const { clock, pools } = workers(2, { proxies: proxyList(1), limits: { minIntervalMs: 1_000 } });
    const [a, b] = pools.map((w) => w.pool);
    (await a!.acquire({ target: SHOP })).success();
    const startedAt = clock.now();
    // Another target is not held back.
    (await b!.acquire({ target: 'https://news.example/', wait: false })).success();
    let at: number | undefined;
    const waiting = b!.acquire({ target: SHOP }).then((lease) => {
      at = clock.now();
      lease.success();
    });
    await clock.advance(999);
    expect(at).toBeUndefined();
    await clock.advance(1);
    await waiting;
    expect(at! - startedAt).toBe(1_000);
  });

  it('run() claims too (the retry loop picks through the pool), and every granted claim is released once', async () => {
    const { clock, fleet, pools } = workers(3, { proxies: proxyList(2), limits: { maxInFlight: 1 }, retry: { retries: 0 } });
    let concurrent = 0;
    let most = 0;
    const jobs = pools.flatMap(({ pool }) =>
      [1, 2, 3].map(() =>
        pool.executeWithRetry(async () => {
          concurrent++;
          most = Math.max(most, concurrent);
          await Promise.resolve();
          concurrent--;
          return 'ok';
        }),
      ),
    );
    // Each job gets a proxy eventually: the fake clock is advanced until all are done (bounded).
    let done = 0;
    const all = Promise.all(jobs.map((job) => job.finally(() => done++)));
    for (let i = 0; i < 100 && done < 9; i++) await clock.advance(100);
    expect(await all).toHaveLength(9);
    expect(fleet.maxSeenInFlight).toBe(1);
    expect(fleet.releases).toBe(fleet.grants);
    expect(most).toBeLessThanOrEqual(2);
  });

  it('a store that cannot answer leaves the limits here in force, and never fails the acquire', async () => {
    const { fleet, pools } = workers(1, { proxies: proxyList(1), limits: { maxInFlight: 1 } });
    fleet.broken = true;
    const lease = await pools[0]!.pool.acquire();
    expect(lease.proxy).toBeDefined();
    await expect(pools[0]!.pool.acquire({ wait: false })).rejects.toMatchObject({ limit: 'maxInFlight' });
    lease.success();
  });

  it('asks nothing of the store when no limits apply', async () => {
    const { fleet, pools } = workers(1, { proxies: proxyList(2) });
    for (let i = 0; i < 5; i++) (await pools[0]!.pool.acquire()).success();
    expect(fleet.grants).toBe(0);
  });

  it('a claim is released when its member left the pool mid-lease', async () => {
    const { fleet, pools } = workers(1, { proxies: proxyList(2), limits: { maxInFlight: 1 } });
    const pool = pools[0]!.pool;
    const lease = await pool.acquire();
    pool.remove(lease.proxy);
    lease.success();
    expect(fleet.releases).toBe(1);
  });
});

describe('fleet-wide limits hold under any interleaving of workers, leases, removals and time (property)', () => {
  it('never more than maxInFlight leases of a proxy across the fleet, never two starts for one target closer than minIntervalMs', async () => {
    const targets = [SHOP, 'https://news.example/', undefined];
    const op = fc.oneof(
      fc.record({ type: fc.constant('acquire' as const), worker: fc.nat(2), target: fc.nat(2), wait: fc.boolean() }),
      fc.record({ type: fc.constant('end' as const), which: fc.nat() }),
      fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 400 }) }),
      fc.record({ type: fc.constant('remove' as const), worker: fc.nat(2), which: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 0, max: 1_000 }),
        fc.array(op, { maxLength: 60 }),
        async (maxInFlight, minIntervalMs, ops) => {
          const { clock, fleet, pools } = workers(3, {
            proxies: proxyList(3),
            limits: minIntervalMs > 0 ? { maxInFlight, minIntervalMs } : { maxInFlight },
            targetHealth: false,
          });
          const open: Array<{ proxy: string; end: () => void }> = [];
          const starts = new Map<string, number>();
          const onLease = (lease: { proxy: { id: string }; target: string | undefined; success: () => boolean }) => {
            const key = `${lease.proxy.id} ${lease.target ?? '*'}`;
            const last = starts.get(key);
            if (minIntervalMs > 0 && last !== undefined) expect(clock.now() - last).toBeGreaterThanOrEqual(minIntervalMs);
            starts.set(key, clock.now());
            open.push({ proxy: lease.proxy.id, end: () => lease.success() });
            expect(open.filter((l) => l.proxy === lease.proxy.id).length).toBeLessThanOrEqual(maxInFlight);
          };
          const waits: Promise<unknown>[] = [];
          for (const o of ops) {
            if (o.type === 'acquire') {
              const pool = pools[o.worker]!.pool;
              const leased = pool.acquire({ target: targets[o.target], wait: o.wait ? undefined : false, maxWaitMs: 2_000 });
              const settled = leased.then(onLease, () => {});
              if (o.wait) waits.push(settled);
              else await settled;
            } else if (o.type === 'end' && open.length > 0) open.splice(o.which % open.length, 1)[0]!.end();
            else if (o.type === 'advance') await clock.advance(o.ms);
            else if (o.type === 'remove') {
              const pool = pools[o.worker]!.pool;
              if (pool.size > 1) pool.remove(pool.proxies[o.which % pool.size]!);
            }
          }
          // Every waiting acquire ends within its maxWaitMs: end what is open, let time pass (bounded).
          for (let i = 0; i < 30; i++) {
            while (open.length > 0) open.pop()!.end();
            await clock.advance(100);
          }
          await Promise.all(waits);
          while (open.length > 0) open.pop()!.end();
          expect(fleet.releases).toBe(fleet.grants);
          for (const { pool } of pools) await pool.close();
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('what else the fleet shares through the store link', () => {
  it('a target down in one worker is down in the others (failures there held blameless), and back up', async () => {
    const { pools } = workers(2, { proxies: proxyList(6), targetHealth: { downAfterProxies: 3 } });
    const [a, b] = pools.map((w) => w.pool);
    const seen: string[] = [];
    b!.on('targetDown', ({ target }) => seen.push(`down ${target}`));
    b!.on('targetUp', ({ target }) => seen.push(`up ${target}`));
    for (let i = 0; i < 3; i++) (await a!.acquire({ target: SHOP })).failure({ kind: 'timeout' });
    expect(seen).toEqual(['down shop.example']);
    // b's failures on it are the target's, not its proxies'.
    const lease = await b!.acquire({ target: SHOP });
    lease.failure({ kind: 'timeout' });
    expect(b!.getMetrics(lease.proxy)).toMatchObject({ consecutiveFailures: 0 });
    (await a!.acquire({ target: SHOP })).success();
    expect(seen).toEqual(['down shop.example', 'up shop.example']);
  });

  it("a gateway's own breaker opened in one worker holds its sessions back in the others", async () => {
    const gateway = 'http://user-{session}:pw@gw.example:7000';
    const { pools } = workers(2, { proxies: [gateway], gateway: { sessions: 2 } });
    const [a, b] = pools.map((w) => w.pool);
    (await a!.acquire()).failure({ kind: 'proxy_auth' });
    expect(a!.gateways[0]!.circuitState).toBe('open');
    expect(b!.gateways[0]!.circuitState).toBe('open');
    await expect(b!.acquire({ wait: false })).rejects.toBeInstanceOf(NoProxyAvailableError);
  });

  it("the store's changes wake a waiting acquire at once", async () => {
    const { fleet, pools } = workers(1, { proxies: proxyList(1), breaker: { failureThreshold: 1, openMs: 60_000 } });
    const { pool } = pools[0]!;
    (await pool.acquire()).failure({ kind: 'proxy_unreachable' });
    let got = false;
    const waiting = pool.acquire({ maxWaitMs: 30_000 }).then((lease) => {
      got = true;
      return lease;
    });
    await Promise.resolve();
    expect(got).toBe(false);
    // Another worker's success closed the breaker: the store replaces the live record's breaker
    // and says so; no time passes here.
    const record = pool.entries()[0]! as unknown as HealthRecord;
    record.breaker = { state: 'closed', failures: 0, streak: 0, since: 0 };
    fleet.links[0]!.changed();
    const lease = await waiting;
    expect(got).toBe(true);
    lease.success();
  });

  it('closing the pool closes the store', async () => {
    const { pools } = workers(1, { proxies: proxyList(1) });
    await pools[0]!.pool.close();
    expect(pools[0]!.store.closed).toBe(1);
  });
});
