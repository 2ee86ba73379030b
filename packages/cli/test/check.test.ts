import { type Outcome, Proxy, parseProxyList } from '@proxy-pool/core';
import { describe, expect, it } from 'vitest';
import { checkProxies, formatResults, isGateway, newSessionId, proxyLine, sessionOf, verdictOf } from '../src/index.js';

const proxy = (text: string) => parseProxyList(text)[0]!;

describe('checkProxies', () => {
  it('never runs more probes at once than the concurrency, and keeps the list order', async () => {
    const proxies = parseProxyList(Array.from({ length: 40 }, (_, i) => `10.0.0.${i + 1}:8080`).join('\n'));
    let inFlight = 0;
    let most = 0;
    const results = await checkProxies(proxies, {
      url: 'http://site.test/',
      timeoutMs: 1_000,
      concurrency: 7,
      prober: async (p) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        return p.host === '10.0.0.3' || p.host === '10.0.0.33' ? { ok: false, kind: 'timeout' } : { ok: true, latencyMs: p.port };
      },
    });
    expect(most).toBe(7);
    expect(results.map((r) => r.proxy.id)).toEqual(proxies.map((p) => p.id));
    expect(results.filter((r) => !r.ok).map((r) => r.kind)).toEqual(['timeout', 'timeout']); // .3 and .33
  });

  it('probes a gateway through fresh sessions and judges it from them', async () => {
    const gateway = proxy('http://customer-acme-sessid-{session}:pass_session-{session}@gate.example:7777');
    const seen: Proxy[] = [];
    const [result] = await checkProxies([gateway], {
      url: 'http://site.test/',
      timeoutMs: 1_000,
      concurrency: 10,
      prober: async (p) => {
        seen.push(p);
        return seen.length === 2 ? { ok: true, latencyMs: 40 } : { ok: false, kind: 'proxy_error', status: 502 };
      },
    });
    expect(seen).toHaveLength(3);
    const ids = seen.map((p) => /sessid-([a-z0-9]+)$/.exec(p.username ?? '')?.[1]);
    expect(new Set(ids).size).toBe(3);
    for (const [i, p] of seen.entries()) {
      expect(ids[i]).toMatch(/^[a-z0-9]{8}$/);
      expect(p.password).toBe(`pass_session-${ids[i]}`);
      expect(isGateway(p)).toBe(false);
    }
    expect(result).toMatchObject({ ok: true, latencyMs: 40, sessions: { ok: 1, total: 3 } });
    expect(result!.proxy).toBe(gateway);
  });
});

describe('verdictOf', () => {
  const p = proxy('10.0.0.1:8080');
  it('takes the most frequent failure kind, the first on a tie', () => {
    const outcomes: Outcome[] = [
      { ok: false, kind: 'timeout' },
      { ok: false, kind: 'proxy_auth', status: 407 },
      { ok: false, kind: 'proxy_auth', status: 407 },
    ];
    expect(verdictOf(p, outcomes)).toMatchObject({ ok: false, kind: 'proxy_auth', status: 407 });
    expect(verdictOf(p, outcomes.slice(0, 2)).kind).toBe('timeout');
  });
  it("takes the median of the working sessions' latencies", () => {
    const ok = (latencyMs: number): Outcome => ({ ok: true, latencyMs });
    expect(verdictOf(p, [ok(300), ok(100), ok(200)]).latencyMs).toBe(200);
  });
});

describe('sessions', () => {
  it('are 8 lowercase letters and digits', () => {
    for (let i = 0; i < 50; i++) expect(newSessionId()).toMatch(/^[a-z0-9]{8}$/);
    const gateway = proxy('10.0.0.1:8080:user-{session}:pw');
    expect(sessionOf(gateway, 'abc12345').username).toBe('user-abc12345');
  });
});

describe('output', () => {
  const results = [
    { proxy: proxy('http://u:SECRET@10.0.0.2:8080'), ok: false, kind: 'timeout' as const },
    { proxy: new Proxy({ protocol: 'http', host: '10.0.0.3', port: 8080, username: 'a,b', password: 'SECRET' }), ok: true, latencyMs: 90 },
    { proxy: proxy('10.0.0.1:8080'), ok: true, latencyMs: 30 },
  ];
  it('sorts by latency, usable first, and never shows a password', () => {
    for (const format of ['table', 'json', 'csv', 'txt'] as const) expect(formatResults(results, format)).not.toContain('SECRET');
    expect(JSON.parse(formatResults(results, 'json'))).toEqual([
      { proxy: 'http://10.0.0.1:8080', ok: true, latencyMs: 30 },
      { proxy: 'http://a%2Cb@10.0.0.3:8080', ok: true, latencyMs: 90 },
      { proxy: 'http://u@10.0.0.2:8080', ok: false, kind: 'timeout' },
    ]);
    expect(formatResults(results, 'csv').split('\n')[0]).toBe('proxy,ok,kind,latency_ms');
    expect(formatResults(results, 'txt')).toBe(
      'http://10.0.0.1:8080 ok 30ms\nhttp://a%2Cb@10.0.0.3:8080 ok 90ms\nhttp://u@10.0.0.2:8080 timeout\n',
    );
  });

  it('writes lines parseProxyList reads back, credentials and gateways kept', () => {
    const list = [
      new Proxy({ protocol: 'socks5', host: '::1', port: 1080, username: 'u s', password: 'p:@#%/ ,x' }),
      proxy('http://cust-{session}:pw-{session}@gate.example:7777'),
      proxy('10.0.0.1:3128'),
    ];
    const text = list.map(proxyLine).join('\n');
    expect(text).toContain('cust-{session}:pw-{session}@gate.example:7777');
    const back = parseProxyList(text);
    expect(back.map((p) => [p.id, p.username, p.password])).toEqual(list.map((p) => [p.id, p.username, p.password]));
  });
});
