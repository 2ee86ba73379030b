import { describe, expect, it } from 'vitest';
import { AttemptFailedError, type FailureKind, ProxyPool } from '../src/index.js';
import { FakeClock, seededRandom } from '../src/testing/index.js';
import { proxyList } from './helpers.js';

const TARGET = 'https://shop.example/';

function scoreAfterOneRealFailure(): number {
  const pool = new ProxyPool({ proxies: ['10.0.0.1:80'], clock: new FakeClock(), random: seededRandom(1) });
  pool.report('http://10.0.0.1:80', { ok: true, latencyMs: 100 }, { target: TARGET });
  pool.report('http://10.0.0.1:80', { ok: false, kind: 'proxy_unreachable' }, { target: TARGET });
  return pool.getMetrics('http://10.0.0.1:80')!.healthScore;
}

describe('target health', () => {
  it.each([
    ['tunnel_failed', 'net::ERR_TUNNEL_CONNECTION_FAILED'],
    ['timeout', 'net::ERR_TIMED_OUT'],
    ['proxy_error', 'net::ERR_INVALID_HTTP_RESPONSE'],
    ['connection', 'net::ERR_CONNECTION_RESET'],
  ])(
    'a target down for 30 s (%s) opens no breaker and leaves scores above one real failure; work resumes when it is back',
    async (kind, message) => {
      const clock = new FakeClock();
      const pool = new ProxyPool({ proxies: proxyList(20), clock, random: seededRandom(3), retry: { retries: 50, minDelayMs: 200 } });
      const downEvents: string[] = [];
      pool.on('targetDown', (e) => downEvents.push(`down ${e.target}`));
      pool.on('targetUp', (e) => downEvents.push(`up ${e.target}`));
      const opened: string[] = [];
      pool.on('breakerOpen', (e) => opened.push(e.proxy.id));
      // The site works, then goes down for 30 s.
      for (const p of pool.proxies) pool.report(p, { ok: true, latencyMs: 200 }, { target: TARGET });
      const downFrom = clock.now();
      const upAt = downFrom + 30_000;
      const finishedAt: number[] = [];
      const jobs = Array.from({ length: 40 }, () =>
        pool
          .executeWithRetry(
            async () => {
              await clock.sleep(50);
              if (clock.now() < upAt) throw new AttemptFailedError(kind as FailureKind, { message: `page.goto: ${message} at ${TARGET}` });
              return 'ok';
            },
            { target: TARGET },
          )
          .then((r) => {
            finishedAt.push(clock.now());
            return r;
          }),
      );
      const all = Promise.all(jobs);
      await clock.advanceUntil(() => finishedAt.length === 40, { stepMs: 50, maxMs: 120_000 });
      expect(await all).toEqual(Array(40).fill('ok'));
      expect(opened).toEqual([]);
      const floor = scoreAfterOneRealFailure();
      for (const m of pool.snapshot().proxies) {
        expect(m.circuitState).toBe('closed');
        expect(m.healthScore).toBeGreaterThan(floor);
      }
      expect(downEvents[0]).toBe('down shop.example');
      expect(downEvents).toContain('up shop.example');
      // Resumed at once: every job finished within the down-target backoff cap of the site's return.
      expect(Math.max(...finishedAt) - upAt).toBeLessThanOrEqual(pool.options.targetHealth.maxBackoffMs + 500);
    },
  );

  it('still charges a proxy that fails where others succeed', () => {
    const clock = new FakeClock();
    const pool = new ProxyPool({ proxies: proxyList(3), clock, random: seededRandom(3) });
    const [bad, good] = pool.proxies;
    for (let i = 0; i < 5; i++) {
      pool.report(bad!, { ok: false, kind: 'timeout' }, { target: TARGET });
      pool.report(good!, { ok: true, latencyMs: 100 }, { target: TARGET });
    }
    expect(pool.getMetrics(bad!)!.circuitState).toBe('open');
  });

  it('keeps targets apart: one site down does not excuse failures on another', () => {
    const clock = new FakeClock();
    const pool = new ProxyPool({ proxies: proxyList(6), clock, random: seededRandom(3) });
    const proxies = pool.proxies;
    for (const p of proxies) pool.report(p, { ok: false, kind: 'tunnel_failed' }, { target: 'https://down.example' });
    expect(pool.isTargetDown('https://down.example/x')).toBe(true);
    expect(pool.isTargetDown('https://up.example/x')).toBe(false);
    for (let i = 0; i < 5; i++) {
      pool.report(proxies[0]!, { ok: false, kind: 'connection' }, { target: 'https://up.example' });
      pool.report(proxies[1]!, { ok: true }, { target: 'https://up.example' });
    }
    expect(pool.getMetrics(proxies[0]!)!.circuitState).toBe('open');
  });

  it('can be turned off, charging every failure at once', () => {
    const pool = new ProxyPool({ proxies: proxyList(2), clock: new FakeClock(), targetHealth: false });
    for (let i = 0; i < 5; i++) pool.report(pool.proxies[0]!, { ok: false, kind: 'timeout' }, { target: TARGET });
    expect(pool.getMetrics(pool.proxies[0]!)!.circuitState).toBe('open');
  });
});
