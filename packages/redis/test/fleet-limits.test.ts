import { NoProxyAvailableError, ProxyPool, type ProxyPoolOptions } from '@proxy-pool/core';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisHealthStore } from '../src/index.js';
import { RedisServer } from './redis-server.js';

/**
 * What the fleet shares besides breakers, bans and scores, against a real redis-server:
 * `limits` held across workers (a claim per acquire), targets down, gateways' own breakers.
 */
const PROXY = 'http://10.0.0.1:8080';
const TARGET = 'https://shop.example/item/1';

let server: RedisServer;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
let namespaces = 0;

beforeAll(async () => {
  server = await RedisServer.start();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await server?.stop();
});

/** `workers` pools over one namespace, each with its own client and store. */
async function fleet(workers: number, options: ProxyPoolOptions) {
  const namespace = `limits-${++namespaces}`;
  const pools: ProxyPool[] = [];
  for (let i = 0; i < workers; i++) {
    const client = createClient({ url: server.url, disableOfflineQueue: true, socket: { reconnectStrategy: () => 50 } });
    client.on('error', () => {});
    await client.connect();
    const store = new RedisHealthStore({ client, namespace, commandTimeoutMs: 1_000 });
    await store.ready;
    const pool = new ProxyPool({ ...options, healthStore: store });
    pools.push(pool);
    cleanups.push(
      () => client.destroy(),
      () => pool.close(), // closes its store
    );
  }
  return pools;
}

/** Waits (bounded) until `check` holds, looking again every few ms. */
async function eventually(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  for (const until = Date.now() + ms; Date.now() < until; ) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('limits across workers', () => {
  it('maxInFlight: a proxy leased in one worker is refused in another until the lease ends', async () => {
    const [a, b] = await fleet(2, { proxies: [PROXY], limits: { maxInFlight: 1 } });
    const held = await a!.acquire({ target: TARGET });
    const refused = await b!.acquire({ target: TARGET, wait: false }).catch((e) => e);
    expect(refused).toBeInstanceOf(NoProxyAvailableError);
    expect(refused).toMatchObject({ limit: 'maxInFlight' });
    const waiting = b!.acquire({ target: TARGET, maxWaitMs: 10_000 });
    held.success();
    const lease = await waiting;
    expect(lease.proxy.id).toBe(held.proxy.id);
    // Released fleet-wide: the first worker gets it back after this one's lease ends.
    lease.success();
    (await a!.acquire({ target: TARGET, maxWaitMs: 10_000 })).success();
  });

  it('minIntervalMs: two workers start leases of one proxy on one site at least the interval apart', async () => {
    const [a, b] = await fleet(2, { proxies: [PROXY], limits: { minIntervalMs: 400 } });
    (await a!.acquire({ target: TARGET })).success();
    const first = Date.now();
    const refused = await b!.acquire({ target: TARGET, wait: false }).catch((e) => e);
    expect(refused).toMatchObject({ limit: 'minIntervalMs' });
    // Another site is not held back.
    (await b!.acquire({ target: 'https://news.example/', wait: false })).success();
    (await b!.acquire({ target: TARGET, maxWaitMs: 10_000 })).success();
    // Redis's PX and this machine's timers round differently: a few ms of slack, never more.
    expect(Date.now() - first).toBeGreaterThanOrEqual(390);
  });
});

describe('news across workers', () => {
  it('a target down in one worker is down in the other, and up again', async () => {
    const proxies = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'];
    const [a, b] = await fleet(2, { proxies, targetHealth: { downAfterProxies: 2 } });
    const heard: string[] = [];
    b!.on('targetDown', ({ target }) => heard.push(`down ${target}`));
    b!.on('targetUp', ({ target }) => heard.push(`up ${target}`));
    for (let i = 0; i < 2; i++) (await a!.acquire({ target: TARGET })).failure({ kind: 'timeout' });
    expect(a!.isTargetDown(TARGET)).toBe(true);
    await eventually(() => b!.isTargetDown(TARGET), 'the other worker to hear the target is down');
    (await a!.acquire({ target: TARGET })).success();
    await eventually(() => !b!.isTargetDown(TARGET), 'the other worker to hear the target is up');
    expect(heard).toEqual(['down shop.example', 'up shop.example']);
  });

  it('a gateway refusing the account in one worker is held back in the other (no sessions minted against it)', async () => {
    const gateway = 'http://customer-acme-sessid-{session}:secret@gw.example:7777';
    const [a, b] = await fleet(2, { proxies: [gateway], gateway: { sessions: 2 } });
    (await a!.acquire()).failure({ kind: 'proxy_auth', status: 407 });
    expect(a!.gateways[0]!.circuitState).toBe('open');
    await eventually(() => b!.gateways[0]!.circuitState === 'open', "the other worker to hold the gateway's breaker open");
    await expect(b!.acquire({ wait: false })).rejects.toBeInstanceOf(NoProxyAvailableError);
  });
});
