import { describe, expect, it } from 'vitest';
import {
  AttemptFailedError,
  InvalidOptionError,
  type Lease,
  NoProxyAvailableError,
  ProxyPool,
  RetriesExhaustedError,
  parseProxy,
} from '../src/index.js';
import { FakeClock, seededRandom } from '../src/testing/index.js';

const GATEWAY = 'http://customer-acme-sessid-{session}:s3cret@gate.provider.example:7777';
const SHOP = 'https://shop.example/item';

function gatewayPool(options: ConstructorParameters<typeof ProxyPool>[0] = {}) {
  const clock = new FakeClock();
  const pool = new ProxyPool({ proxies: [GATEWAY], clock, random: seededRandom(3), targetHealth: false, ...options });
  return { pool, clock };
}

describe('rotating gateways', () => {
  it('are members through their sessions: ids, credentials and metrics, no password anywhere', () => {
    const { pool } = gatewayPool();
    expect(pool.size).toBe(1); // one session ready, minted lazily
    const [session] = pool.proxies;
    expect(session!.id).toMatch(/^http:\/\/customer-acme-sessid-\{session\}@gate\.provider\.example:7777#[a-z0-9]{8}$/);
    const token = session!.id.split('#')[1]!;
    expect(session!.username).toBe(`customer-acme-sessid-${token}`);
    expect(session!.password).toBe('s3cret');
    expect(pool.getMetrics(session!)).toMatchObject({
      gateway: 'http://customer-acme-sessid-{session}@gate.provider.example:7777',
      session: token,
    });
    expect(pool.gateways).toEqual([
      expect.objectContaining({
        id: 'http://customer-acme-sessid-{session}@gate.provider.example:7777',
        sessions: [session!.id],
        minted: 1,
      }),
    ]);
    expect(JSON.stringify([pool.snapshot(), pool.toJSON(), pool.gateways, pool.proxies])).not.toContain('s3cret');
  });

  it('take the placeholder in the password, in any input form', () => {
    for (const input of [
      'geo.example:12321:u:p_session-{session}_lifetime-10m',
      { server: 'http://geo.example:12321', username: 'u', password: 'p_session-{session}_lifetime-10m' },
    ]) {
      const pool = new ProxyPool({ proxies: [input] });
      const [session] = pool.proxies;
      expect(session!.password).toMatch(/^p_session-[a-z0-9]{8}_lifetime-10m$/);
      expect(session!.id).toMatch(/^http:\/\/u@geo\.example:12321#[a-z0-9]{8}$/);
    }
    const fromText = new ProxyPool({ proxies: `# a list\n${GATEWAY}\n10.0.0.1:8080\n` });
    expect(fromText.proxies.map((p) => p.id).sort()[0]).toBe('http://10.0.0.1:8080');
    expect(fromText.gateways).toHaveLength(1);
  });

  it('give each lease its own session (one identity per IP), minting up to `sessions`, then waiting', async () => {
    const { pool } = gatewayPool({ gateway: { sessions: 3 } });
    const leases = [pool.tryAcquire()!, pool.tryAcquire()!, pool.tryAcquire()!];
    expect(new Set(leases.map((l) => l.proxy.id)).size).toBe(3);
    const refused = await pool.acquire({ wait: false }).catch((e) => e);
    expect(refused).toBeInstanceOf(NoProxyAvailableError);
    const waiting = pool.acquire();
    leases[1]!.success();
    expect((await waiting).proxy).toBe(leases[1]!.proxy);
    expect(pool.gateways[0]!.minted).toBe(3);
  });

  it('let a gateway raise its sessions’ leases at once with its own limits', () => {
    const pool = new ProxyPool({
      proxies: [{ server: 'http://gate.example:1', username: 'u-{session}', password: 'p', sessions: 1, limits: { maxInFlight: 2 } }],
    });
    const a = pool.tryAcquire()!;
    const b = pool.tryAcquire()!;
    expect(b.proxy).toBe(a.proxy);
    expect(pool.tryAcquire()).toBeUndefined();
  });

  it('retire a session a target bans, or whose exit fails, and mint a fresh one', async () => {
    const { pool } = gatewayPool();
    const retired: string[] = [];
    pool.on('sessionRetired', ({ proxy, reason }) => retired.push(`${proxy.id.split('#')[1]} ${reason}`));
    const banned = pool.tryAcquire({ target: SHOP })!;
    banned.failure({ kind: 'blocked', status: 403 });
    expect(pool.has(banned.proxy)).toBe(false);
    const dead = pool.tryAcquire({ target: SHOP })!;
    expect(dead.proxy).not.toBe(banned.proxy);
    dead.failure({ kind: 'proxy_error', status: 502 });
    expect(pool.has(dead.proxy)).toBe(false);
    expect(retired).toEqual([
      expect.stringMatching(/banned by shop\.example \(blocked\)/),
      expect.stringMatching(/its exit failed \(proxy_error\)/),
    ]);
    expect(pool.size).toBe(1);
    expect(pool.gateways[0]).toMatchObject({ minted: 3, retired: 2 });
  });

  it('keep a job’s retries when fresh sessions draw bad exits, up to `retries` such draws; not for a gateway at fault', async () => {
    // Each attempt on a fresh session is one draw of an exit: banned, dead behind the gateway, banned, banned, good.
    const exits = ['blocked', 'proxy_error', 'blocked', 'blocked', 'blocked', 'ok'] as const;
    const run = async ({ pool, clock }: { pool: ProxyPool; clock: FakeClock }, retries: number, kinds: readonly string[]) => {
      const seen: string[] = [];
      const job = pool
        .executeWithRetry(
          async (proxy) => {
            const kind = kinds[seen.length] ?? 'ok';
            seen.push(proxy.id);
            if (kind !== 'ok') throw new AttemptFailedError(kind as 'blocked');
            return 'page';
          },
          { target: SHOP, retries },
        )
        .catch((error: Error) => error);
      // Fake time moves on until the job ends (its backoff sleeps pass at once); bounded.
      let done = false;
      void job.finally(() => {
        done = true;
      });
      for (let t = 0; t < 600_000 && !done; t += 50) await clock.advance(50);
      const result = await job;
      return { result, attempts: seen.length, distinct: new Set(seen).size };
    };
    // retries: 2 → up to 2 free draws and 3 counted attempts: the 5th session's good exit fetches the page.
    const lucky = await run(gatewayPool({ gateway: { sessions: 10 } }), 2, exits.slice(1));
    expect(lucky).toEqual({ result: 'page', attempts: 5, distinct: 5 });
    // One bad draw more and the job gives up, with every attempt listed.
    const unlucky = await run(gatewayPool({ gateway: { sessions: 10 } }), 2, exits);
    expect(unlucky.result).toBeInstanceOf(RetriesExhaustedError);
    expect((unlucky.result as RetriesExhaustedError).attempts).toHaveLength(5);
    // Fixed proxies are not draws: retries + 1 attempts.
    const fixedClock = new FakeClock();
    const fixed = new ProxyPool({
      proxies: Array.from({ length: 8 }, (_, i) => `10.0.0.${i + 1}:8080`),
      clock: fixedClock,
      targetHealth: false,
    });
    expect((await run({ pool: fixed, clock: fixedClock }, 2, exits)).attempts).toBe(3);
    // Refused credentials are the gateway's, not a draw: no fresh session is burnt for free.
    const refusing = await run(gatewayPool({ gateway: { sessions: 10 }, breaker: { failureThreshold: 50 } }), 2, [
      'proxy_auth',
      'proxy_auth',
      'proxy_auth',
      'proxy_auth',
    ]);
    expect(refusing.result).toBeInstanceOf(Error);
    expect(refusing.attempts).toBeLessThanOrEqual(3);
  });

  it('retire a session before its lifetime ends and after it idles, never under a running lease', async () => {
    const { pool, clock } = gatewayPool({ gateway: { sessionTtlMs: 10_000, idleTtlMs: 3_000 } });
    const long = pool.tryAcquire()!;
    const first = long.proxy;
    await clock.advance(11_000); // past its lifetime while leased: it finishes its work first
    expect(pool.has(first)).toBe(true);
    long.success();
    const next = pool.tryAcquire()!;
    expect(next.proxy).not.toBe(first);
    expect(pool.has(first)).toBe(false);
    next.success();
    await clock.advance(3_000); // idle
    const after = pool.tryAcquire()!;
    expect(after.proxy).not.toBe(next.proxy);
  });

  it('keep gateway faults the gateway’s: refused credentials open its breaker, and no session is minted meanwhile', async () => {
    const { pool, clock } = gatewayPool({ breaker: { authOpenMs: 60_000 } });
    const opened: string[] = [];
    pool.on('gatewayOpen', ({ reason }) => opened.push(reason));
    const leases = [pool.tryAcquire()!, pool.tryAcquire()!];
    for (const lease of leases) lease.failure({ kind: 'proxy_auth', status: 407 });
    expect(opened[0]).toMatch(/refused its credentials/);
    expect(pool.tryAcquire()).toBeUndefined();
    const minted = pool.gateways[0]!.minted;
    for (let i = 0; i < 20; i++) expect(pool.tryAcquire()).toBeUndefined();
    expect(pool.gateways[0]!.minted).toBe(minted); // no storm of fresh sessions
    expect(pool.gateways[0]!.circuitState).toBe('open');
    // The sessions were not at fault: they are still there, and come back with the gateway.
    for (const lease of leases) expect(pool.has(lease.proxy)).toBe(true);
    await clock.advance(60_000 * 1.3);
    const trial = pool.tryAcquire()!;
    expect(trial).toBeDefined();
    expect(pool.tryAcquire()).toBeUndefined(); // one trial at a time
    trial.success();
    pool.tryAcquire()!.success();
    expect(pool.gateways[0]!.circuitState).toBe('closed');
  });

  it('open the gateway’s breaker on refused connections, and on timeouts across several sessions', () => {
    const refused = gatewayPool({ breaker: { failureThreshold: 3 } }).pool;
    for (let i = 0; i < 3; i++) refused.tryAcquire()!.failure({ kind: 'proxy_unreachable' });
    expect(refused.gateways[0]!.circuitState).toBe('open');
    const slow = gatewayPool({ breaker: { failureThreshold: 3 } }).pool;
    for (let i = 0; i < 2; i++) slow.tryAcquire()!.failure({ kind: 'timeout' });
    expect(slow.gateways[0]!.circuitState).toBe('closed');
    slow.tryAcquire()!.failure({ kind: 'timeout' });
    expect(slow.gateways[0]!.circuitState).toBe('open');
  });

  it('mint session ids with the function given, and refuse ids a provider would refuse', () => {
    let n = 0;
    const pool = new ProxyPool({ proxies: [GATEWAY], gateway: { sessionId: () => `job${++n}` } });
    expect(pool.proxies[0]!.id.endsWith('#job1')).toBe(true);
    expect(() => new ProxyPool({ proxies: [GATEWAY], gateway: { sessionId: () => 'has space' } })).toThrow(InvalidOptionError);
  });

  it('check per-gateway settings, and refuse them on a proxy that is not a gateway', () => {
    expect(() => new ProxyPool({ proxies: [{ server: 'http://gate.example:1', username: 'u-{session}', sessions: 0 } as never] })).toThrow(
      /`proxies\[0\]\.sessions` to be ≥ 1/,
    );
    expect(() => new ProxyPool({ proxies: [{ server: 'http://10.0.0.1:1', sessions: 5 } as never] })).toThrow(/is for rotating gateways/);
    expect(() => new ProxyPool({ proxies: [{ server: 'http://10.0.0.1:1', sesions: 5 } as never] })).toThrow(
      'Did you mean `proxies[0].sessions`?',
    );
  });

  it('are removed with every session by the gateway’s own form', () => {
    const { pool } = gatewayPool();
    pool.tryAcquire();
    expect(pool.size).toBe(2);
    expect(pool.remove(GATEWAY)).toBe(true);
    expect(pool.size).toBe(0);
    expect(pool.gateways).toEqual([]);
  });
});

describe('sticky leases', () => {
  it('keep a key on its member while usable; leases of one key share it, other keys get others', () => {
    const { pool } = gatewayPool();
    const a1 = pool.tryAcquire({ sticky: 'account-a' })!;
    const a2 = pool.tryAcquire({ sticky: 'account-a' })!; // one identity: shares the session
    const b = pool.tryAcquire({ sticky: 'account-b' })!;
    const anon = pool.tryAcquire()!;
    expect(a2.proxy).toBe(a1.proxy);
    expect(b.proxy).not.toBe(a1.proxy);
    expect(anon.proxy).not.toBe(a1.proxy);
    expect(anon.proxy).not.toBe(b.proxy);
    for (const l of [a1, a2, b, anon]) l.success();
    for (let i = 0; i < 10; i++) {
      const again = pool.tryAcquire({ sticky: 'account-a' })!;
      expect(again.proxy).toBe(a1.proxy);
      again.success();
    }
  });

  it('move a key once when its member becomes unusable, and stay there; an event says so', () => {
    const { pool } = gatewayPool();
    const moves: string[] = [];
    pool.on('stickyMoved', ({ key, reason }) => moves.push(`${key}: ${reason}`));
    const first = pool.tryAcquire({ sticky: 'k', target: SHOP })!;
    first.failure({ kind: 'blocked', status: 403 });
    const second = pool.tryAcquire({ sticky: 'k', target: SHOP })!;
    expect(second.proxy).not.toBe(first.proxy);
    second.success();
    expect(moves).toEqual([expect.stringMatching(/^k: its session was retired \(banned by shop\.example/)]);
    for (let i = 0; i < 5; i++) {
      const again = pool.tryAcquire({ sticky: 'k', target: SHOP })!;
      expect(again.proxy).toBe(second.proxy);
      again.success();
    }
    expect(moves).toHaveLength(1);
  });

  it('work for fixed proxies too, and wait (not move) while the member is only at its limit', async () => {
    const clock = new FakeClock();
    const pool = new ProxyPool({ proxies: ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'], clock, limits: { maxInFlight: 1 } });
    const held = pool.tryAcquire({ sticky: 'user-1' })!;
    expect(pool.tryAcquire({ sticky: 'user-1' })).toBeUndefined(); // a fixed proxy's limit still holds
    let next: Lease | undefined;
    const waiting = pool.acquire({ sticky: 'user-1' }).then((l) => {
      next = l;
    });
    await clock.advance(10);
    expect(next).toBeUndefined();
    held.success();
    await waiting;
    expect(next!.proxy).toBe(held.proxy);
    expect(parseProxy(next!.proxy.id).id).toBe(held.proxy.id);
  });

  it('share fixed proxies once keys outnumber them (never wait for ever); never a session another key chose', () => {
    const pool = new ProxyPool({ proxies: ['10.0.0.1:80', '10.0.0.2:80'], clock: new FakeClock() });
    const firsts = ['a', 'b'].map((key) => pool.tryAcquire({ sticky: key })!);
    expect(new Set(firsts.map((l) => l.proxy.id)).size).toBe(2); // different keys, different members while there are enough
    const third = pool.tryAcquire({ sticky: 'c' });
    expect(third).toBeDefined();
    third!.success();
    expect(pool.tryAcquire({ sticky: 'c' })!.proxy).toBe(third!.proxy); // and it keeps it
    // A gateway's sessions are identities: a key beyond `sessions` waits for one of its own.
    const { pool: gateways } = gatewayPool();
    const sessions = gateways.options.gateway.sessions;
    const held = Array.from({ length: sessions }, (_, i) => gateways.tryAcquire({ sticky: `account-${i}` })!);
    for (const lease of held) lease.success();
    expect(new Set(held.map((l) => l.proxy.id)).size).toBe(sessions);
    expect(gateways.tryAcquire({ sticky: 'one-too-many' })).toBeUndefined();
  });

  it('forget a key on request, retiring its session when asked', () => {
    const { pool } = gatewayPool();
    const first = pool.tryAcquire({ sticky: 'crawler-session-1' })!;
    first.success();
    expect(pool.forgetSticky('crawler-session-1', { retire: true })).toBe(true);
    expect(pool.has(first.proxy)).toBe(false);
    expect(pool.forgetSticky('crawler-session-1')).toBe(false);
    const next = pool.tryAcquire({ sticky: 'crawler-session-1' })!;
    expect(next.proxy).not.toBe(first.proxy);
  });
});
