// A burst of timeouts among leases that were all in flight together is one stall (the crawler's
// machine, a slow moment), not evidence from three independent sessions: it must not hold every
// session of the gateway back (under load it stalled a whole crawl in `pnpm bench:gateway`).
import { describe, expect, it } from 'vitest';
import { ProxyPool } from '../src/index.js';
import { FakeClock, seededRandom } from '../src/testing/index.js';

const GATEWAY = 'http://customer-acme-sessid-{session}:s3cret@gate.provider.example:7777';

describe('gateway breaker and concurrent timeouts', () => {
  it('does not open on timeouts of leases that were all in flight together when the first one failed', async () => {
    const clock = new FakeClock();
    const pool = new ProxyPool({ proxies: [GATEWAY], clock, random: seededRandom(3), targetHealth: false, gateway: { sessions: 8 } });
    const opened: string[] = [];
    pool.on('gatewayOpen', ({ reason }) => opened.push(reason));
    // The gateway has worked.
    pool.tryAcquire()!.success();
    // 8 leases at once (concurrency 8); a 6 s stall of the crawler: 3 of them time out together.
    const leases = Array.from({ length: 8 }, () => pool.tryAcquire()!);
    expect(new Set(leases.map((l) => l.proxy.id)).size).toBe(8);
    await clock.advance(5_000);
    for (const lease of leases.slice(0, 3)) lease.failure({ kind: 'timeout' });
    expect(opened).toEqual([]);
    expect(pool.gateways[0]!.circuitState).toBe('closed');
  });
});
