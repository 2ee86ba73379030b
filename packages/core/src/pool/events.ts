import type { Blame, FailureKind } from '../failure-kinds.js';
import type { Proxy } from '../proxy.js';

/** How a failure was judged: charged to the proxy now, waiting for proof, or held blameless. */
export type ChargeVerdict = 'charged' | 'pending' | 'blameless';

/** Every event the pool emits. `pool.on(name, fn)` returns the function that unsubscribes. */
export interface PoolEvents {
  success: (event: { proxy: Proxy; target: string | undefined; latencyMs: number | undefined }) => void;
  failure: (event: {
    proxy: Proxy;
    target: string | undefined;
    kind: FailureKind;
    blame: Blame;
    verdict: ChargeVerdict;
    status: number | undefined;
    latencyMs: number | undefined;
  }) => void;
  breakerOpen: (event: { proxy: Proxy; reason: string; until: number; openMs: number }) => void;
  breakerHalfOpen: (event: { proxy: Proxy }) => void;
  breakerClose: (event: { proxy: Proxy }) => void;
  banned: (event: { proxy: Proxy; target: string; kind: 'blocked' | 'rate_limited'; until: number }) => void;
  proxyAdded: (event: { proxy: Proxy }) => void;
  proxyRemoved: (event: { proxy: Proxy }) => void;
  /** `acquire` handed out a lease, after waiting `waitedMs` for it (0 when one was usable at once). */
  acquired: (event: { proxy: Proxy; target: string | undefined; waitedMs: number }) => void;
  /** No proxy was usable for a request. */
  exhausted: (event: { target: string | undefined; nextAvailableAt: number | undefined }) => void;
  targetDown: (event: { target: string; at: number }) => void;
  /** A rotating gateway's own breaker opened (refused credentials or connections, failures across its sessions): none of its sessions is used meanwhile. */
  gatewayOpen: (event: { gateway: string; reason: string; until: number }) => void;
  /** A gateway's session left the pool (banned, failed, past its lifetime, idle); a fresh one takes its place when needed. */
  sessionRetired: (event: { proxy: Proxy; gateway: string; reason: string }) => void;
  /** A sticky key's member became unusable: the key moved to another member, and stays there. */
  stickyMoved: (event: { key: string; from: Proxy | undefined; to: Proxy; reason: string }) => void;
  targetUp: (event: { target: string; at: number }) => void;
}

export type PoolEventName = keyof PoolEvents;
