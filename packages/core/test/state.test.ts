import { describe, expect, it } from 'vitest';
import { ProxyPool, StateRestoreError } from '../src/index.js';
import { FakeClock, seededRandom } from '../src/testing/index.js';

const SECRET = 'p4ssw0rd-never-saved';

function learnedPool(clock: FakeClock) {
  const pool = new ProxyPool({ proxies: [`http://u:${SECRET}@10.0.0.1:80`, '10.0.0.2:80', '10.0.0.3:80'], clock, random: seededRandom(2) });
  for (let i = 0; i < 5; i++) pool.report('http://u@10.0.0.1:80', { ok: false, kind: 'proxy_unreachable' });
  pool.report('http://10.0.0.2:80', { ok: false, kind: 'rate_limited', retryAfterMs: 120_000 }, { target: 'https://shop.example' });
  for (let i = 0; i < 3; i++) pool.report('http://10.0.0.3:80', { ok: true, latencyMs: 80 });
  return pool;
}

describe('saved health', () => {
  it('carries scores, breakers and bans across a restart, keyed by id, without passwords', () => {
    const clock = new FakeClock();
    const before = learnedPool(clock);
    const text = JSON.stringify(before);
    expect(text).not.toContain(SECRET);
    const after = ProxyPool.restore(text, { proxies: [`http://u:${SECRET}@10.0.0.1:80`, '10.0.0.2:80', '10.0.0.3:80'], clock });
    for (const id of ['http://u@10.0.0.1:80', 'http://10.0.0.2:80', 'http://10.0.0.3:80']) {
      const { lastUsedAt: _a, ...was } = before.getMetrics(id)!;
      const { lastUsedAt: _b, ...is } = after.getMetrics(id)!;
      expect(is).toEqual(was);
    }
    expect(after.getMetrics('http://u@10.0.0.1:80')!.circuitState).toBe('open');
    expect(after.getMetrics('http://10.0.0.2:80')!.bannedOn).toEqual(['shop.example']);
    expect(after.getProxy()?.id).toBeDefined();
  });

  it('restores what matches a different proxy list and ignores the rest', () => {
    const clock = new FakeClock();
    const state = learnedPool(clock).toJSON();
    const other = new ProxyPool({ proxies: ['10.0.0.3:80', '10.0.0.9:80'], clock });
    expect(other.restore(state)).toEqual({ restored: 1, ignored: 2 });
    expect(other.getMetrics('http://10.0.0.3:80')!.successfulRequests).toBe(3);
    expect(other.getMetrics('http://10.0.0.9:80')!.totalRequests).toBe(0);
  });

  it('rejects malformed state with a clear error and applies none of it', () => {
    const clock = new FakeClock();
    const state = learnedPool(clock).toJSON();
    const target = new ProxyPool({ proxies: ['10.0.0.1:80:u:x', '10.0.0.2:80', '10.0.0.3:80'], clock });
    const broken = structuredClone(state) as unknown as { proxies: Record<string, { breaker: { state: string } }> };
    broken.proxies['http://10.0.0.3:80']!.breaker.state = 'ajar';
    expect(() => target.restore(broken as never)).toThrow(StateRestoreError);
    expect(() => target.restore(broken as never)).toThrow(
      /state\.proxies\."http:\/\/10\.0\.0\.3:80"\.breaker\.state: expected closed, open or half-open, got "ajar"/,
    );
    // The first proxy's (valid) health was not applied either.
    expect(target.getMetrics('http://u@10.0.0.1:80')!.circuitState).toBe('closed');
    expect(() => target.restore('{nope')).toThrow(/not valid JSON/);
    expect(() => target.restore({ version: 2 } as never)).toThrow(/state\.version: expected 1/);
    expect(() => target.restore({ ...state, proxies: { 'http://u:pw@h:1': state.proxies['http://10.0.0.3:80']! } })).toThrow(
      /must not carry a password/,
    );
  });
});
