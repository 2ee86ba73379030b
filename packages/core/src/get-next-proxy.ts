import type { ServerForm } from './proxy.js';
import type { Lease } from './lease.js';
import type { FailureReport, SuccessReport } from './outcome.js';
import type { PickOptions, ProxyPool } from './pool/pool.js';

/** The seed's adapter: the interface most hand-written crawlers already call. */
export interface GetNextProxy {
  /** A proxy in `{ server, username?, password? }` form, or null when none is usable now. */
  getNextProxy(options?: PickOptions): ServerForm | null;
  /** Tells the pool that the work done with this proxy worked. */
  reportSuccess(proxy: ServerForm, report?: SuccessReport): boolean;
  /** Tells the pool that the work done with this proxy failed, and how. */
  reportFailure(proxy: ServerForm, report: FailureReport): boolean;
  /** Gives the proxy back without an outcome (the work was cancelled). */
  release(proxy: ServerForm): boolean;
}

/**
 * Wraps a pool in the `getNextProxy()` interface. Each returned object holds a lease: the
 * pool counts it in flight until `reportSuccess`, `reportFailure` or `release` is called
 * with that same object. Code that never reports keeps working, the pool just learns less;
 * its leases are given back when the object is garbage-collected.
 */
export function toGetNextProxy(pool: ProxyPool): GetNextProxy {
  const leases = new WeakMap<ServerForm, Lease>();
  // A crawler that never reports must not leak in-flight counts forever.
  const reclaim = new FinalizationRegistry<Lease>((lease) => lease.release());
  const leaseOf = (proxy: ServerForm): Lease | undefined => {
    const lease = leases.get(proxy);
    if (lease) {
      leases.delete(proxy);
      reclaim.unregister(proxy);
    }
    return lease;
  };
  return {
    getNextProxy(options) {
      if (pool.closed) return null;
      const lease = pool.tryAcquire(options);
      if (!lease) return null;
      const form = lease.proxy.toServerForm();
      leases.set(form, lease);
      reclaim.register(form, lease, form);
      return form;
    },
    reportSuccess(proxy, report = {}) {
      const lease = leaseOf(proxy);
      return lease ? lease.success(report) : pool.report(proxy, { ok: true, ...report });
    },
    reportFailure(proxy, report) {
      const lease = leaseOf(proxy);
      return lease ? lease.failure(report) : pool.report(proxy, { ok: false, ...report });
    },
    release(proxy) {
      return leaseOf(proxy)?.release() ?? false;
    },
  };
}
