import { EventEmitter } from 'node:events';
import { type AddressInfo, type Server, createServer } from 'node:net';
import { ProxyPool, type ProxyPoolOptions } from '@proxy-pool/core';
import { FakeClock } from '@proxy-pool/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawleeBridge } from '../src/index.js';

/**
 * The bridge's hooks as Crawlee calls them, without a browser: newUrl with the request, the
 * hooks and the error handlers with a crawling context holding that request, a page that is
 * an event emitter. What is checked is what the pool sees: leases in flight and outcomes.
 */

/** A page as far as the bridge looks at it: `close` and `response` events, a main frame. */
class FakePage extends EventEmitter {
  readonly frame = {};
  mainFrame() {
    return this.frame;
  }
  /** The main frame's navigation answered (before goto threw, say). */
  answer(status: number, headers: Record<string, string>) {
    this.emit('response', {
      ...response(status, '', headers),
      request: () => ({ isNavigationRequest: () => true }),
      frame: () => this.frame,
    });
  }
}

function response(status: number, body: string, headers: Record<string, string> = { 'content-type': 'text/html' }) {
  return { status: () => status, headers: () => ({ 'content-length': String(body.length), ...headers }), text: async () => body };
}

const PAGE = '<!doctype html><title>Page</title><p>Content.</p>';
/** Lets pending promise callbacks and I/O run (a wait in newUrl that should stay waiting gets its chance to end). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('crawleeBridge: a pool lease per page', () => {
  let proxyA: Server;
  let proxyB: Server;
  const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  /**
   * A proxy that answers CONNECT (what a pre-flight check asks for an http target): enough to
   * pass it; after `delayMs`, or never (`'hang'`).
   */
  const startProxy = (delayMs: number | 'hang' = 0) =>
    new Promise<Server>((resolve) => {
      const server = createServer((socket) => {
        socket.on('error', () => undefined);
        if (delayMs === 'hang') return;
        socket.once('data', () => setTimeout(() => socket.end('HTTP/1.1 200 Connection Established\r\n\r\n'), delayMs));
      });
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
  beforeAll(async () => {
    [proxyA, proxyB] = await Promise.all([startProxy(), startProxy()]);
  });
  afterAll(() => {
    proxyA?.close();
    proxyB?.close();
  });

  const setup = (options: Omit<ProxyPoolOptions, 'proxies'> & { proxies?: string[] } = {}, bridgeOptions = {}) => {
    const pool = new ProxyPool({ proxies: [urlOf(proxyA)], ...options });
    const bridge = crawleeBridge(pool, bridgeOptions);
    let n = 0;
    /** One attempt of `request` as Crawlee runs it, up to its navigation. */
    const attempt = async (request = { url: `http://site.test/page/${n++}` }, sessionId?: string) => {
      const proxyUrl = await bridge.proxyConfiguration.newUrl(sessionId, { request } as never);
      const page = new FakePage();
      const context = { request, proxyInfo: { url: proxyUrl! }, page, response: undefined as unknown };
      return { request, context, page, proxyUrl: proxyUrl! };
    };
    const inFlight = (url: string) => pool.getMetrics(url)!.inFlight;
    return { pool, bridge, attempt, inFlight };
  };

  it('holds a lease from newUrl until the navigation is reported, and ends it with the outcome', async () => {
    const { pool, bridge, attempt, inFlight } = setup();
    const { context, proxyUrl } = await attempt();
    expect(inFlight(proxyUrl)).toBe(1);
    expect(bridge.pagesInFlight).toBe(1);
    bridge.preNavigationHook(context as never);
    expect(inFlight(proxyUrl)).toBe(1);
    context.response = response(200, PAGE);
    await bridge.postNavigationHook(context as never);
    expect(inFlight(proxyUrl)).toBe(0);
    expect(bridge.pagesInFlight).toBe(0);
    expect(pool.getMetrics(proxyUrl)).toMatchObject({ successfulRequests: 1, failedRequests: 0 });
    // An error of the request handler afterwards is not the proxy's: nothing more is reported.
    bridge.errorHandler(context as never, new Error('page.goto: net::ERR_CONNECTION_RESET'));
    expect(pool.getMetrics(proxyUrl)).toMatchObject({ successfulRequests: 1, failedRequests: 0 });
    await pool.close();
  });

  it('limits.maxInFlight holds for pages: the next page waits in newUrl until a page on the proxy reports, failures and retries included', async () => {
    const { pool, bridge, attempt, inFlight } = setup({ limits: { maxInFlight: 1 } });
    const first = await attempt();
    bridge.preNavigationHook(first.context as never);
    let second: Awaited<ReturnType<typeof attempt>> | undefined;
    const waiting = attempt().then((a) => {
      second = a;
    });
    await settle();
    expect(second).toBeUndefined();
    // Crawlee will retry the first request: its error handler reports the failure, which ends the lease.
    bridge.errorHandler(first.context as never, new Error('page.goto: net::ERR_CONNECTION_RESET at http://site.test/page/0'));
    await waiting;
    expect(second?.proxyUrl).toBe(first.proxyUrl);
    expect(pool.getMetrics(first.proxyUrl)).toMatchObject({ failedRequests: 1, inFlight: 1 });
    // The retry of the first request waits its turn as well, and its last failure (failedRequestHandler) ends its lease.
    let retry: Awaited<ReturnType<typeof attempt>> | undefined;
    const retrying = attempt(first.request).then((a) => {
      retry = a;
    });
    await settle();
    expect(retry).toBeUndefined();
    bridge.preNavigationHook(second!.context as never);
    second!.context.response = response(200, PAGE);
    await bridge.postNavigationHook(second!.context as never);
    await retrying;
    bridge.preNavigationHook(retry!.context as never);
    bridge.failedRequestHandler(retry!.context as never, new Error('page.goto: net::ERR_CONNECTION_RESET at http://site.test/page/0'));
    expect(inFlight(first.proxyUrl)).toBe(0);
    expect(pool.getMetrics(first.proxyUrl)).toMatchObject({ successfulRequests: 1, failedRequests: 2 });
    expect(bridge.pagesInFlight).toBe(0);
    await pool.close();
  });

  it('no lease outlives its page: a closed page, a retry nobody reported, a request Crawlee handled', async () => {
    const { pool, bridge, attempt, inFlight } = setup();
    const closed = await attempt();
    bridge.preNavigationHook(closed.context as never);
    closed.page.emit('close');
    expect(inFlight(closed.proxyUrl)).toBe(0);

    // The page could not even open (no navigation), and no error handler was wired: the retry's newUrl ends it.
    const unreported = await attempt();
    expect(inFlight(unreported.proxyUrl)).toBe(1);
    await attempt(unreported.request);
    expect(bridge.pagesInFlight).toBe(1);

    // Crawlee marked the request handled (failed for good) without the bridge's failedRequestHandler: the next newUrl sweeps it.
    Object.assign(unreported.request, { handledAt: new Date().toISOString() });
    const next = await attempt();
    expect(bridge.pagesInFlight).toBe(1);
    expect(inFlight(next.proxyUrl)).toBe(1);
    // None of these said anything about the proxy.
    expect(pool.getMetrics(next.proxyUrl)).toMatchObject({ successfulRequests: 0, failedRequests: 0 });
    await pool.close();
  });

  it('Crawlee giving up on a page that waits for a proxy (its timeout) ends the wait, and no lease is left behind', async () => {
    const { pool, bridge, attempt, inFlight } = setup({ limits: { maxInFlight: 1 } });
    const holder = await attempt();
    const request = { url: 'http://site.test/page/waiting' };
    const waiting = attempt(request);
    await settle();
    bridge.errorHandler({ request } as never, new Error('requestHandler timed out after 130 seconds.'));
    await expect(waiting).rejects.toThrow();
    bridge.preNavigationHook(holder.context as never);
    holder.context.response = response(200, PAGE);
    await bridge.postNavigationHook(holder.context as never);
    await settle();
    expect(inFlight(holder.proxyUrl)).toBe(0);
    expect(bridge.pagesInFlight).toBe(0);
    await pool.close();
  });

  it("reads a failed navigation's main-frame response: a proxy's own 502 is proxy_error, not Chromium's ERR_HTTP_RESPONSE_CODE_FAILURE", async () => {
    const { pool, bridge, attempt } = setup({ breaker: { failureThreshold: 10 } });
    const { context, page, proxyUrl } = await attempt();
    bridge.preNavigationHook(context as never);
    page.answer(502, { 'proxy-status': 'farm; error=proxy_internal_error', 'content-length': '0' });
    bridge.errorHandler(context as never, new Error('page.goto: net::ERR_HTTP_RESPONSE_CODE_FAILURE at http://site.test/'));
    expect(pool.getMetrics(proxyUrl)!.failuresByKind).toEqual({ proxy_error: 1 });
    await pool.close();
  });

  it('a proxy that fails its pre-flight check ends its lease with the failure, and the next is handed out on one', async () => {
    const refusing = await startProxy();
    const refusingUrl = urlOf(refusing);
    await new Promise((resolve) => refusing.close(resolve));
    const pool = new ProxyPool({ proxies: [refusingUrl, urlOf(proxyB)], rotation: 'round-robin' });
    const bridge = crawleeBridge(pool);
    const request = { url: 'http://site.test/page/1' };
    const proxyUrl = await bridge.proxyConfiguration.newUrl(undefined, { request } as never);
    expect(proxyUrl).toBe(urlOf(proxyB));
    expect(pool.getMetrics(refusingUrl)).toMatchObject({ inFlight: 0, failedRequests: 1, failuresByKind: { proxy_unreachable: 1 } });
    expect(pool.getMetrics(urlOf(proxyB))!.inFlight).toBe(1);
    await pool.close();
  });

  it("Crawlee's sessions as sticky keys: different sessions on different members while there are enough, a session on its member, and a new session never held up", async () => {
    const { pool, bridge, attempt } = setup({ proxies: [urlOf(proxyA), urlOf(proxyB)] }, { preflight: false });
    const done = async (a: Awaited<ReturnType<typeof attempt>>) => {
      bridge.preNavigationHook(a.context as never);
      a.context.response = response(200, PAGE);
      await bridge.postNavigationHook(a.context as never);
      return a.proxyUrl;
    };
    const first = await done(await attempt(undefined, 'session-1'));
    const second = await done(await attempt(undefined, 'session-2'));
    expect(second).not.toBe(first);
    // Every member serves a session now: a third still gets a proxy at once (shared), not a wait.
    const third = await attempt(undefined, 'session-3');
    expect([first, second]).toContain(third.proxyUrl);
    await done(third);
    expect(await done(await attempt(undefined, 'session-1'))).toBe(first);
    expect(await done(await attempt(undefined, 'session-2'))).toBe(second);
    await pool.close();
  });

  it('forgets the sticky key of a session Crawlee dropped without retiring it (expired, used up)', async () => {
    const clock = new FakeClock();
    const { pool, bridge, attempt } = setup({ proxies: [urlOf(proxyA), urlOf(proxyB)], clock }, { preflight: false });
    let usable = true;
    // Crawlee's SessionPool throws such a session away without its 'sessionRetired' event.
    const expiring = { id: 'session-1', isUsable: () => usable };
    const lasting = { id: 'session-2', isUsable: () => true };
    const navigate = async (session: { id: string; isUsable(): boolean }) => {
      const a = await attempt(undefined, session.id);
      bridge.preNavigationHook({ ...a.context, session } as never);
      a.context.response = response(200, PAGE);
      await bridge.postNavigationHook(a.context as never);
    };
    await navigate(expiring);
    await navigate(lasting);
    usable = false;
    await clock.advance(1_000);
    await navigate(lasting);
    expect(pool.forgetSticky('session-1')).toBe(false);
    expect(pool.forgetSticky('session-2')).toBe(true);
    await pool.close();
  });

  it('a session the site blocks is retired, as Crawlee would on a 403 it never sees: its retry does not go back to the same proxy', async () => {
    const { pool, bridge, attempt } = setup({ proxies: [urlOf(proxyA), urlOf(proxyB)] }, { preflight: false });
    let retired = 0;
    const session = { id: 'session-1', isUsable: () => retired === 0, retire: () => retired++ };
    const first = await attempt(undefined, session.id);
    bridge.preNavigationHook({ ...first.context, session } as never);
    first.context.response = response(403, '<title>Access denied</title>');
    await expect(bridge.postNavigationHook({ ...first.context, session } as never)).rejects.toThrow(/blocked/);
    expect(retired).toBe(1);
    // The pool could not yet tell the 403 from the site refusing everybody (no success there yet):
    // without the retirement the key would still hold the blocked proxy.
    expect(pool.forgetSticky(session.id)).toBe(false);
    await pool.close();
  });

  it("a blocked status goes through Crawlee's own rule (its blockedStatusCodes): a session it retires loses its key, one it keeps keeps it", async () => {
    const { pool, bridge, attempt } = setup({ proxies: [urlOf(proxyA), urlOf(proxyB)] }, { preflight: false });
    const asked: number[] = [];
    const blockedCodes = [403];
    const sessionWith = (id: string) => {
      let retired = false;
      return {
        id,
        isUsable: () => !retired,
        retireOnBlockedStatusCodes: (status: number) => {
          asked.push(status);
          retired = blockedCodes.includes(status);
          return retired;
        },
      };
    };
    const navigate = async (session: ReturnType<typeof sessionWith>, status: number) => {
      const a = await attempt(undefined, session.id);
      bridge.preNavigationHook({ ...a.context, session } as never);
      a.context.response = response(status, '<title>Error</title>');
      await bridge.postNavigationHook({ ...a.context, session } as never).catch(() => undefined);
    };
    await navigate(sessionWith('session-1'), 403);
    await navigate(sessionWith('session-2'), 502);
    expect(asked).toEqual([403, 502]);
    expect(pool.forgetSticky('session-1')).toBe(false);
    expect(pool.forgetSticky('session-2')).toBe(true);
    await pool.close();
  });

  it('a new session that finds every member on probation or taken still gets one with room, and the pool never says it ran out', async () => {
    const { pool, bridge, attempt } = setup({ proxies: [urlOf(proxyA), urlOf(proxyB)], limits: { maxInFlight: 2 } }, { preflight: false });
    let exhausted = 0;
    pool.on('exhausted', () => exhausted++);
    // Two sessions' pages in flight, one on each proxy: both unproven, so both on probation.
    const first = await attempt(undefined, 'session-1');
    const second = await attempt(undefined, 'session-2');
    expect(second.proxyUrl).not.toBe(first.proxyUrl);
    // A third session: no proxy off probation is free, yet both have room: it gets one at once.
    const third = await attempt(undefined, 'session-3');
    expect([first.proxyUrl, second.proxyUrl]).toContain(third.proxyUrl);
    expect(exhausted).toBe(0);
    await pool.close();
  });

  it('while a proxy that has not worked lately is checked, one that has takes the page; the check goes on aside', async () => {
    const hanging = await startProxy('hang');
    const hangingUrl = urlOf(hanging);
    const pool = new ProxyPool({ proxies: [hangingUrl, urlOf(proxyB)], rotation: 'round-robin' });
    const bridge = crawleeBridge(pool, { preflight: { timeoutMs: 1_000 } });
    pool.report(urlOf(proxyB), { ok: true, latencyMs: 5 });
    let timedOut = false;
    const checked = new Promise((resolve) => pool.once('failure', resolve)).finally(() => {
      timedOut = true;
    });
    const url = await bridge.proxyConfiguration.newUrl(undefined, { request: { url: 'http://site.test/page/1' } } as never);
    // The page did not wait for the hanging proxy's check to time out.
    expect(url).toBe(urlOf(proxyB));
    expect(timedOut).toBe(false);
    expect(pool.getMetrics(hangingUrl)!.inFlight).toBe(1);
    expect(await checked).toMatchObject({ kind: 'timeout', proxy: { id: hangingUrl } });
    expect(pool.getMetrics(hangingUrl)!.inFlight).toBe(0);
    await pool.close();
    hanging.close();
  });

  it('two proxies that have not worked yet are checked side by side: the first to pass gets the page', async () => {
    const hanging = await startProxy('hang');
    const hangingUrl = urlOf(hanging);
    const pool = new ProxyPool({ proxies: [hangingUrl, urlOf(proxyB)], rotation: 'round-robin' });
    const bridge = crawleeBridge(pool, { preflight: { timeoutMs: 1_000 } });
    let timedOut = false;
    const checked = new Promise((resolve) => pool.once('failure', resolve)).finally(() => {
      timedOut = true;
    });
    expect(await bridge.proxyConfiguration.newUrl(undefined, { request: { url: 'http://site.test/page/1' } } as never)).toBe(urlOf(proxyB));
    expect(timedOut).toBe(false);
    expect(await checked).toMatchObject({ kind: 'timeout', proxy: { id: hangingUrl } });
    await pool.close();
    hanging.close();
  });

  it('a proxy that passed its check aside gets its next page without another check', async () => {
    const slow = await startProxy(30);
    const slowUrl = urlOf(slow);
    const pool = new ProxyPool({ proxies: [slowUrl, urlOf(proxyB)], rotation: 'round-robin' });
    const bridge = crawleeBridge(pool);
    pool.report(urlOf(proxyB), { ok: true, latencyMs: 5 });
    const newUrl = (n: number) => bridge.proxyConfiguration.newUrl(undefined, { request: { url: `http://site.test/page/${n}` } } as never);
    expect(await newUrl(1)).toBe(urlOf(proxyB));
    // The check of the slow proxy passes aside and ends its lease.
    for (let i = 0; i < 200 && pool.getMetrics(slowUrl)!.inFlight > 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(pool.getMetrics(slowUrl)).toMatchObject({ inFlight: 0, failedRequests: 0 });
    slow.close(); // a second check would now fail: the page goes to it on the vouch
    expect(await newUrl(2)).toBe(slowUrl);
    await pool.close();
  });

  it('a proxy that has not worked yet carries one page at a time while another is free', async () => {
    const pool = new ProxyPool({ proxies: [urlOf(proxyA), urlOf(proxyB)], rotation: 'round-robin' });
    const bridge = crawleeBridge(pool, { preflight: false });
    const newUrl = (n: number) => bridge.proxyConfiguration.newUrl(undefined, { request: { url: `http://site.test/page/${n}` } } as never);
    expect(await newUrl(1)).toBe(urlOf(proxyA));
    expect(pool.getProxy()?.id).toBe(urlOf(proxyB)); // round-robin's next pick is A again
    expect(await newUrl(2)).toBe(urlOf(proxyB));
    // Both on probation: the third page is not held up.
    expect([urlOf(proxyA), urlOf(proxyB)]).toContain(await newUrl(3));
    await pool.close();
  });

  it("a browser's own proxy at launch (newUrl without a request) holds no lease", async () => {
    const { pool, bridge } = setup();
    const url = await bridge.proxyConfiguration.newUrl('launch-session');
    expect(url).toBe(urlOf(proxyA));
    expect(pool.getMetrics(url!)!.inFlight).toBe(0);
    expect(bridge.pagesInFlight).toBe(0);
    await pool.close();
  });
});
