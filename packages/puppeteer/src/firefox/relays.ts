import { type ProxyRoute, classifyRelayStatus } from '@proxy-pool/browser';
import type { Classification, Proxy, ProxyPool } from '@proxy-pool/core';
import { FirefoxRelay } from './relay.js';

/** A route to a proxy for Firefox: through a relay of ours (`firefoxRelay`), or straight to it. */
export interface FirefoxRoute extends ProxyRoute {
  firefoxRelay?: FirefoxRelay | undefined;
}

/**
 * Whether Firefox needs a relay in front of this proxy: one with credentials (Firefox would
 * share them between contexts on the same host and port, and answer a site's Basic challenge
 * with them through Puppeteer's `authenticate`), and any proxy that is not plain HTTP
 * (WebDriver BiDi gives a context an HTTP proxy only).
 */
export function firefoxNeedsRelay(proxy: Proxy): boolean {
  return proxy.hasCredentials || proxy.protocol !== 'http';
}

/**
 * Firefox's errors for a CONNECT the relay refused with its own status: a 59x, which Firefox
 * reports as the proxy refusing, or 504 when the upstream timed out. The relay records why at
 * the same moment, so the latest record explains it.
 */
const RELAY_REFUSED = /NS_ERROR_PROXY_CONNECTION_REFUSED|NS_ERROR_PROXY_GATEWAY_TIMEOUT/;

/**
 * The relay's own answer to a plain-http navigation (59x, proxy-chain's codes) as the upstream's
 * kind. The 59x is the relay's private code, not the proxy's: a refused login is reported as the
 * proxy's 407 (as Chromium reports it), the others without a status (as Chromium's errors).
 */
function relayStatus(status: number): Classification | undefined {
  const c = classifyRelayStatus(status);
  if (!c) return undefined;
  return { ...c, status: c.kind === 'proxy_auth' ? 407 : undefined };
}

/**
 * One relay per proxy that Firefox cannot be given as it is, started when a context first
 * needs it, shared by that proxy's contexts (a proxy is one set of credentials: a gateway's
 * sessions are proxies of their own, each with its relay, on its own port), and closed when
 * the proxy leaves the pool (a retired session), when the pool closes, or on `close()`.
 */
export class FirefoxRelays {
  readonly #pool: ProxyPool;
  readonly #memoryMs: number;
  readonly #relays = new Map<string, Promise<FirefoxRelay>>();
  readonly #running = new Map<string, FirefoxRelay>();
  #subscribed = false;

  /** `memoryMs`: how far back a failure the relay saw explains a failed navigation (its timeout and then some). */
  constructor(pool: ProxyPool, options: { memoryMs: number }) {
    this.#pool = pool;
    this.#memoryMs = options.memoryMs;
  }

  /** The relays running now: which proxy each stands for (its id) and where it listens. */
  get running(): Array<{ proxyId: string; server: string }> {
    return [...this.#running].map(([proxyId, relay]) => ({ proxyId, server: `http://${relay.server}` }));
  }

  /** The route to `proxy` through its relay (started on demand). */
  async routeFor(proxy: Proxy): Promise<FirefoxRoute> {
    const relay = await this.#relayFor(proxy);
    return {
      server: relay.server,
      firefoxRelay: relay,
      refineStatus: (status) => relayStatus(status),
      refineError: (errorText) => (RELAY_REFUSED.test(errorText) ? relay.failureSince(Date.now() - this.#memoryMs) : undefined),
    };
  }

  #relayFor(proxy: Proxy): Promise<FirefoxRelay> {
    if (this.#pool.closed) return Promise.reject(new Error('the pool is closed'));
    this.#subscribe();
    const existing = this.#relays.get(proxy.id);
    if (existing) return existing;
    // Its own entry in #relays, compared after the await (a close in between replaced or removed it).
    let starting!: Promise<FirefoxRelay>;
    starting = (async () => {
      const relay = await FirefoxRelay.start(proxy);
      if (this.#relays.get(proxy.id) !== starting || this.#pool.closed || !this.#pool.has(proxy.id)) {
        await relay.close();
        throw new Error(`${proxy.id}: its relay was closed (or the proxy left the pool) while it started`);
      }
      this.#running.set(proxy.id, relay);
      return relay;
    })();
    this.#relays.set(proxy.id, starting);
    starting.catch(() => {
      if (this.#relays.get(proxy.id) === starting) this.#relays.delete(proxy.id);
    });
    return starting;
  }

  #subscribe(): void {
    if (this.#subscribed) return;
    this.#subscribed = true;
    this.#pool.on('proxyRemoved', ({ proxy }) => void this.closeRelay(proxy.id));
    this.#pool.onClose(() => this.close());
  }

  /** Stops the relay of one proxy (its contexts' connections end with it). */
  async closeRelay(proxyId: string): Promise<void> {
    const relay = this.#relays.get(proxyId);
    if (!relay) return;
    this.#relays.delete(proxyId);
    this.#running.delete(proxyId);
    await relay.then(
      (r) => r.close(),
      () => undefined,
    );
  }

  /** Stops every relay (idempotent). A later context starts its relay again, unless the pool is closed. */
  async close(): Promise<void> {
    await Promise.all([...this.#relays.keys()].map((id) => this.closeRelay(id)));
  }
}
