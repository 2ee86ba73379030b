import { AttemptFailedError, type Classification, type Proxy, type ProxyPool } from '@proxy-pool/core';
import { preflight } from '../preflight.js';
import { classifyRelayStatus } from './relay-verdicts.js';
import { SocksRelay } from './socks-relay.js';

/**
 * How an adapter hands a proxy to the browser: the proxy itself, or a local relay in front of
 * it. `refineStatus`/`refineError` read the relay's own answers back into the upstream's
 * failure kinds (undefined: classify as usual).
 */
export interface ProxyRoute {
  server: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Set when the browser talks to a relay, not to the proxy. */
  relay?: SocksRelay | undefined;
  refineStatus?: ((status: number) => Classification | undefined) | undefined;
  refineError?: ((errorText: string) => Classification | undefined) | undefined;
  /**
   * For a relay's answer that does not say whose fault it was (599: the upstream failed, or the
   * target behind it): asks the upstream itself, to the same destination, as the pre-flight
   * check does. Undefined when there is nothing to ask.
   */
  reviewStatus?: ((status: number, url: string) => Promise<Classification | undefined> | undefined) | undefined;
}

/** Whether Chromium needs a relay for this proxy: SOCKS with a username or password. */
export function needsRelay(proxy: Proxy): boolean {
  return (proxy.protocol === 'socks5' || proxy.protocol === 'socks4') && proxy.hasCredentials;
}

/** Chromium's errors for a failed tunnel through an HTTP proxy (the relay), which the relay's record explains. */
const TUNNEL_ERRORS = /ERR_TUNNEL_CONNECTION_FAILED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_CLOSED|ERR_CONNECTION_RESET/;

/**
 * One relay per SOCKS proxy with credentials, started when a context first needs it (after a
 * check of the upstream with its credentials, as the pre-flight check makes), shared by every
 * context of that proxy, closed when the proxy leaves the pool, the pool closes, or `close()`.
 */
export class RelayManager {
  readonly #pool: ProxyPool;
  readonly #checkTimeoutMs: number;
  readonly #memoryMs: number;
  readonly #relays = new Map<string, Promise<SocksRelay>>();
  /** The relays that are up, by proxy id. */
  readonly #running = new Map<string, SocksRelay>();
  #subscribed = false;

  /**
   * `checkTimeoutMs`: how long the upstream check before a relay starts may take;
   * `memoryMs`: how far back a failure the relay saw explains a failed navigation (its timeout).
   */
  constructor(pool: ProxyPool, options: { checkTimeoutMs: number; memoryMs: number }) {
    this.#pool = pool;
    this.#checkTimeoutMs = options.checkTimeoutMs;
    this.#memoryMs = options.memoryMs;
  }

  /** The relays running now: which proxy each stands for (its id) and where it listens. */
  get running(): Array<{ proxyId: string; server: string }> {
    return [...this.#running].map(([proxyId, relay]) => ({ proxyId, server: relay.server }));
  }

  /** The route to `proxy`: direct, or through its relay (started on demand). */
  async routeFor(proxy: Proxy, target?: string | URL): Promise<ProxyRoute> {
    if (!needsRelay(proxy)) {
      return { server: proxy.server, username: proxy.username, password: proxy.password };
    }
    const relay = await this.#relayFor(proxy, target);
    return {
      server: relay.server,
      relay,
      refineStatus: (status) => classifyRelayStatus(status),
      refineError: (errorText) => (TUNNEL_ERRORS.test(errorText) ? relay.failureSince(Date.now() - this.#memoryMs) : undefined),
      reviewStatus: (status, url) => (status === 599 ? this.#askUpstream(proxy, url) : undefined),
    };
  }

  /** The upstream's own verdict on a destination: its failure kind, or the far side's (`tunnel_failed`) when it worked. */
  async #askUpstream(proxy: Proxy, url: string): Promise<Classification> {
    const failure = await preflight(proxy, url, this.#checkTimeoutMs).catch(() => undefined);
    if (failure && failure.kind !== 'tunnel_failed') {
      return { ...failure, evidence: `the relay's upstream: ${failure.evidence ?? failure.kind}` };
    }
    return { kind: 'tunnel_failed', status: 599, evidence: 'the relay: its upstream works, the target behind it did not answer' };
  }

  #relayFor(proxy: Proxy, target: string | URL | undefined): Promise<SocksRelay> {
    if (this.#pool.closed) return Promise.reject(new Error('the pool is closed'));
    this.#subscribe();
    const running = this.#relays.get(proxy.id);
    if (running) return running;
    // Its own entry in #relays, compared after each await (a close in between replaced or removed it).
    let starting!: Promise<SocksRelay>;
    starting = (async () => {
      // Chromium would only hear "tunnel failed" from the relay: ask the upstream itself once,
      // with the credentials, so that a wrong password or a dead upstream is named as such.
      // A far-side failure (tunnel_failed) says nothing against the upstream: the navigation will tell.
      const failure = await preflight(proxy, target, this.#checkTimeoutMs);
      if (failure && failure.kind !== 'tunnel_failed') {
        throw new AttemptFailedError(failure.kind, {
          status: failure.status,
          message: `${proxy.id}: the SOCKS proxy failed the relay's check: ${failure.evidence ?? failure.kind}`,
        });
      }
      const relay = await SocksRelay.start(proxy);
      // Closed while it started (the proxy left the pool, the pool or the manager closed): stop it at once.
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
