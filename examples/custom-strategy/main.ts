/**
 * A rotation strategy of your own is one object with one method, `pick`. This one keeps each
 * account on the same proxy while that proxy is usable (sticky sessions), and otherwise falls
 * back to the best of three random draws. It never sees an unusable proxy: `isEligible` says
 * which are open, banned for the target, or excluded.
 */
import { type Candidate, type PickContext, ProxyPool, type RotationStrategy, sampleEligible } from '@proxy-pool/core';

function stickyByAccount(accountOf: () => string | undefined): RotationStrategy {
  const stuck = new Map<string, Candidate>();
  return {
    name: 'sticky-by-account',
    pick(context: PickContext) {
      const account = accountOf();
      const previous = account ? stuck.get(account) : undefined;
      if (previous && context.candidates[previous.index] === previous && context.isEligible(previous)) return previous;
      let best: Candidate | undefined;
      for (let i = 0; i < 3; i++) {
        const c = sampleEligible(context, 16);
        if (c && (!best || c.score > best.score)) best = c;
      }
      if (best && account) stuck.set(account, best);
      return best;
    },
  };
}

let currentAccount: string | undefined;
const pool = new ProxyPool({
  proxies: ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080', '10.0.0.4:8080'],
  rotation: stickyByAccount(() => currentAccount),
});

for (const account of ['alice', 'bob', 'alice', 'bob', 'alice']) {
  currentAccount = account;
  const lease = await pool.acquire();
  console.log(`${account} → ${lease.proxy.id}`);
  lease.success({ latencyMs: 100 });
}
// alice's proxy dies: she moves to another one, and stays there.
currentAccount = 'alice';
const dead = (await pool.acquire()).proxy;
for (let i = 0; i < 5; i++) pool.report(dead, { ok: false, kind: 'proxy_unreachable' });
const moved = await pool.acquire();
console.log(`alice's proxy ${dead.id} failed; alice → ${moved.proxy.id}`);
moved.release();
await pool.close();
