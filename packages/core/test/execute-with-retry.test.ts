import { describe, expect, it } from 'vitest';
import { AttemptFailedError, NoProxyAvailableError, type Proxy, RetriesExhaustedError } from '../src/index.js';
import { fakePool } from './helpers.js';

const TARGET = 'https://shop.example/item/1';

/** Runs the job while moving fake time forward, so that backoff sleeps pass instantly. */
async function drive<T>(clock: import('../src/testing/index.js').FakeClock, job: Promise<T>, maxMs = 600_000): Promise<T> {
  let done = false;
  const settled = job.finally(() => {
    done = true;
  });
  settled.catch(() => undefined);
  for (let t = 0; t < maxMs && !done; t += 50) await clock.advance(50);
  return settled;
}

describe('executeWithRetry', () => {
  it('says why when its deadline passes while the pool has no usable proxy: what it tried, and what it waited for', async () => {
    const refused = () => {
      throw new AttemptFailedError('proxy_auth');
    };
    // Its only proxy refused its credentials in an earlier job: no attempt, and the breaker's reason.
    const before = fakePool({ proxies: ['10.0.0.1:80'] });
    before.pool.report('10.0.0.1:80', { ok: false, kind: 'proxy_auth' });
    const idle = await drive(
      before.clock,
      before.pool.executeWithRetry(async () => refused(), { target: TARGET, deadlineMs: 4_000 }),
    ).catch((e) => e);
    expect(idle).toBeInstanceOf(NoProxyAvailableError);
    expect(idle.message).toMatch(/deadline of 4000 ms passed while waiting for a proxy/);
    expect(idle.message).toMatch(/1 with an open breaker: the proxy refused its credentials/);

    // It refuses them in this job: the attempt and its kind, then what the job waited for.
    const during = fakePool({ proxies: ['10.0.0.1:80'] });
    const tried = await drive(
      during.clock,
      during.pool.executeWithRetry(async () => refused(), { target: TARGET, deadlineMs: 4_000 }),
    ).catch((e) => e);
    expect(tried).toBeInstanceOf(RetriesExhaustedError);
    expect((tried as RetriesExhaustedError).attempts.map((a) => a.kind)).toEqual(['proxy_auth']);
    expect(tried.message).toMatch(
      /deadline of 4000 ms passed while waiting for a proxy after 1 attempt .*http:\/\/10\.0\.0\.1:80: proxy_auth.*refused its credentials/,
    );
  });

  it('does not count free failures (consumesRetry: false) against the retries, at most once per proxy', async () => {
    const { pool, clock } = fakePool({ proxies: ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80'], rotation: 'round-robin' });
    const free = () => new AttemptFailedError('proxy_unreachable', { consumesRetry: false });
    let calls = 0;
    const result = await drive(
      clock,
      pool.executeWithRetry(
        async () => {
          calls++;
          if (calls < 4) throw free();
          return 'ok';
        },
        { target: TARGET, retries: 1 }, // two attempts at most, were the free ones counted
      ),
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);

    // Every attempt free: bounded by the pool's size, then the retries count again.
    let always = 0;
    const job = pool.executeWithRetry(
      async () => {
        always++;
        throw free();
      },
      { target: TARGET, retries: 1 },
    );
    await expect(drive(clock, job)).rejects.toBeInstanceOf(RetriesExhaustedError);
    expect(always).toBe(pool.size + 2);
  });

  it('retries on another proxy, never one already tried while an untried one is usable', async () => {
    const { pool, clock } = fakePool({ proxies: ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80'], rotation: 'round-robin' });
    const used: string[] = [];
    const result = await drive(
      clock,
      pool.executeWithRetry(
        async (proxy: Proxy, { attempt }) => {
          used.push(proxy.id);
          if (attempt < 4) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
          return `ok on ${attempt}`;
        },
        { target: TARGET },
      ),
    );
    expect(result).toBe('ok on 4');
    expect(new Set(used).size).toBe(4);
  });

  it('backs off exponentially with jitter between attempts, on the pool clock', async () => {
    const { pool, clock } = fakePool({
      proxies: ['10.0.0.1:80', '10.0.0.2:80'],
      retry: { retries: 3, minDelayMs: 1_000, factor: 2, jitter: true },
    });
    const times: number[] = [];
    const job = pool.executeWithRetry(
      async () => {
        times.push(clock.now());
        throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
      },
      { target: TARGET },
    );
    const error = await drive(clock, job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps).toHaveLength(3);
    [1_000, 2_000, 4_000].forEach((delay, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(delay / 2);
      expect(gaps[i]).toBeLessThanOrEqual(delay + 50);
    });
  });

  it('lists every attempt in RetriesExhaustedError: proxy id, kind and cause', async () => {
    const { pool, clock } = fakePool({ proxies: ['10.0.0.1:80', '10.0.0.2:80'], retry: { retries: 2, minDelayMs: 10 } });
    const error = (await drive(
      clock,
      pool.executeWithRetry(async (proxy) => {
        throw proxy.id.endsWith('1:80')
          ? Object.assign(new Error('x'), { code: 'ETIMEDOUT' })
          : new AttemptFailedError('tunnel_failed', { message: 'the tunnel to https://shop.example failed' });
      }),
    ).catch((e: unknown) => e)) as RetriesExhaustedError;
    expect(error.code).toBe('ERR_RETRIES_EXHAUSTED');
    expect(error.attempts).toHaveLength(3);
    for (const a of error.attempts) {
      expect(a.proxyId).toMatch(/^http:\/\/10\.0\.0\.[12]:80$/);
      expect(['timeout', 'tunnel_failed']).toContain(a.kind);
      expect(a.cause).toBeInstanceOf(Error);
    }
    expect(error.message).toMatch(/3 attempts failed/);
  });

  it('stops at once on failures no other proxy would fix, with the task’s own error', async () => {
    const { pool, clock } = fakePool();
    let calls = 0;
    const notFound = new AttemptFailedError('target_error', { status: 404 });
    const error = await drive(
      clock,
      pool.executeWithRetry(async () => {
        calls++;
        throw notFound;
      }),
    ).catch((e: unknown) => e);
    expect(error).toBe(notFound);
    expect(calls).toBe(1);
    const bug = await drive(
      clock,
      pool.executeWithRetry(async () => (undefined as never as { x: number }).x),
    ).catch((e: unknown) => e);
    expect(bug).toBeInstanceOf(TypeError);
  });

  it('waits at least Retry-After after a 429', async () => {
    const { pool, clock } = fakePool({ proxies: ['10.0.0.1:80', '10.0.0.2:80'], retry: { minDelayMs: 100 } });
    const times: number[] = [];
    await drive(
      clock,
      pool.executeWithRetry(
        async ({ id }, { attempt }) => {
          times.push(clock.now());
          if (attempt === 1) throw new AttemptFailedError('rate_limited', { status: 429, retryAfterMs: 30_000 });
          return id;
        },
        { target: TARGET },
      ),
    );
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(30_000);
  });

  it('cancels a backoff sleep at once when the caller aborts', async () => {
    const { pool, clock } = fakePool({ retry: { minDelayMs: 60_000, maxDelayMs: 60_000 } });
    const controller = new AbortController();
    const job = pool.executeWithRetry(
      async () => {
        throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      },
      { signal: controller.signal },
    );
    const caught = job.catch((e: unknown) => e);
    await clock.advance(10);
    expect(clock.pending).toBeGreaterThan(0); // sleeping in backoff
    controller.abort(new Error('user cancelled'));
    expect(((await caught) as Error).message).toBe('user cancelled');
  });

  it('aborts the running attempt’s signal and returns at once', async () => {
    const { pool, clock } = fakePool();
    const controller = new AbortController();
    let taskSignal: AbortSignal | undefined;
    const job = pool.executeWithRetry(
      (_proxy, { signal }) => {
        taskSignal = signal;
        return new Promise(() => undefined); // never settles by itself
      },
      { signal: controller.signal },
    );
    await clock.advance(1);
    controller.abort(new Error('stop'));
    await expect(job).rejects.toThrow('stop');
    expect(taskSignal?.aborted).toBe(true);
    expect(pool.snapshot().totals.inFlight).toBe(0);
  });

  it('bounds the whole job with deadlineMs', async () => {
    const { pool, clock } = fakePool({ retry: { retries: 100, minDelayMs: 1_000, factor: 1 } });
    const start = clock.now();
    const error = await drive(
      clock,
      pool.executeWithRetry(
        async () => {
          throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
        },
        { deadlineMs: 10_000 },
      ),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(clock.now() - start).toBeLessThanOrEqual(11_000);
  });
});

describe('acquire when nothing is usable', () => {
  it('waits until a breaker half-opens, without spinning', async () => {
    const { pool, clock } = fakePool({ proxies: ['10.0.0.1:80'], breaker: { jitter: 0 } });
    for (let i = 0; i < 5; i++) pool.report('http://10.0.0.1:80', { ok: false, kind: 'proxy_unreachable' });
    let sleeps = 0;
    const sleep = clock.sleep.bind(clock);
    clock.sleep = (ms, signal) => {
      sleeps++;
      return sleep(ms, signal);
    };
    const waiting = pool.acquire();
    let resolved = false;
    waiting.then(() => (resolved = true));
    await clock.advance(59_000);
    expect(resolved).toBe(false);
    await clock.advance(1_000);
    expect(resolved).toBe(true);
    expect(sleeps).toBeLessThanOrEqual(2);
  });

  it('with wait: false throws NoProxyAvailableError carrying when the next one is usable', async () => {
    const { pool, clock } = fakePool({ proxies: ['10.0.0.1:80'], breaker: { jitter: 0 } });
    for (let i = 0; i < 5; i++) pool.report('http://10.0.0.1:80', { ok: false, kind: 'proxy_unreachable' });
    const error = (await pool.acquire({ wait: false }).catch((e: unknown) => e)) as NoProxyAvailableError;
    expect(error).toBeInstanceOf(NoProxyAvailableError);
    expect(error.nextAvailableAt).toBe(clock.now() + 60_000);
  });

  it('gives up after maxWaitMs, and on abort', async () => {
    const { pool, clock } = fakePool({ proxies: ['10.0.0.1:80'] });
    const lease = await pool.acquire({ target: TARGET });
    lease.failure({ kind: 'rate_limited', retryAfterMs: 600_000 });
    const timedOut = pool.acquire({ target: TARGET, maxWaitMs: 5_000 }).catch((e: unknown) => e);
    await clock.advance(5_000);
    expect(await timedOut).toBeInstanceOf(NoProxyAvailableError);
    const controller = new AbortController();
    const aborted = pool.acquire({ target: TARGET, signal: controller.signal }).catch((e: unknown) => e);
    controller.abort(new Error('bye'));
    expect(((await aborted) as Error).message).toBe('bye');
  });
});
