import { type AddressInfo, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyFarm, Socks5Server } from '../../../e2e/src/farm/index.js';
import { parseProxy } from '@proxy-pool/core';
import { preflight } from '../src/index.js';

// Real sockets to real local proxies that fail on purpose.
describe('pre-flight checks', () => {
  let farm: ProxyFarm;
  let socks: Socks5Server;
  beforeAll(async () => {
    farm = await ProxyFarm.start({
      proxies: [
        { name: 'good', mode: 'good' },
        { name: 'refusing', mode: 'refuse' },
        { name: 'hanging', mode: 'hang' },
        { name: 'resetting', mode: 'reset' },
        { name: 'error502', mode: 'error502' },
        { name: 'garbage', mode: 'garbage' },
        { name: 'auth-ok', mode: 'good', credentials: { username: 'u', password: 'right' } },
        {
          name: 'auth-wrong',
          mode: 'good',
          credentials: { username: 'u', password: 'right' },
          listedCredentials: { username: 'u', password: 'wrong' },
        },
      ],
      sites: [{}, { https: true }],
    });
    socks = await Socks5Server.start(farm.registry, 'socks-1');
  });
  afterAll(async () => {
    await socks?.close();
    await farm?.close();
  });

  const https = () => new URL(farm.sites[1]!.url('/page/1', 'secure.test'));
  const http = () => new URL(farm.site.url('/page/1', 'plain.test'));
  const check = (name: string, target: URL | undefined, timeoutMs = 1_000) =>
    preflight(parseProxy(farm.proxy(name).url), target, timeoutMs);

  it('passes working proxies, with and without credentials, for https and http targets and none', async () => {
    for (const target of [https(), http(), undefined]) {
      expect(await check('good', target)).toBeUndefined();
      expect(await check('auth-ok', target)).toBeUndefined();
    }
  });

  it('classifies each way a proxy fails to open a tunnel to an https target', async () => {
    expect(await check('refusing', https())).toMatchObject({ kind: 'proxy_unreachable' });
    expect(await check('hanging', https(), 300)).toMatchObject({ kind: 'timeout' });
    expect(await check('resetting', https())).toMatchObject({ kind: 'connection' });
    expect(await check('error502', https())).toMatchObject({ kind: 'tunnel_failed', status: 502 });
    expect(await check('garbage', https())).toMatchObject({ kind: 'proxy_error' });
    expect(await check('auth-wrong', https())).toMatchObject({ kind: 'proxy_auth', status: 407 });
  });

  it('for http targets only asks the proxy to answer: any HTTP answer passes, silence and resets fail', async () => {
    expect(await check('refusing', http())).toMatchObject({ kind: 'proxy_unreachable' });
    expect(await check('hanging', http(), 300)).toMatchObject({ kind: 'timeout' });
    expect(await check('resetting', http())).toMatchObject({ kind: 'connection' });
    expect(await check('garbage', http())).toMatchObject({ kind: 'proxy_error' });
    expect(await check('auth-wrong', http())).toMatchObject({ kind: 'proxy_auth', status: 407 });
    // It answers (Chromium's plain request will get its 502, and the navigation says so): alive.
    expect(await check('error502', http())).toBeUndefined();
  });

  it('passes a proxy that refuses tunnels to port 80, or hangs up on CONNECT, for an http target', async () => {
    for (const answer of ['HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n', '']) {
      const server = createServer((socket) => socket.once('data', () => socket.end(answer)));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      try {
        expect(await preflight(parseProxy(`127.0.0.1:${port}`), http(), 1_000)).toBeUndefined();
        // The same answers to an https target's CONNECT are failures.
        expect(await preflight(parseProxy(`127.0.0.1:${port}`), https(), 1_000)).toBeDefined();
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });

  it('never sends a request to the target', async () => {
    const before = farm.sites.map((site) => site.seen.length);
    for (const target of [https(), http()]) {
      await check('good', target);
      await check('auth-ok', target);
    }
    expect(farm.sites.map((site) => site.seen.length)).toEqual(before);
  });

  it('goes through SOCKS to the target, and reports a dead SOCKS proxy', async () => {
    expect(await preflight(parseProxy(socks.url), https(), 1_000)).toBeUndefined();
    expect(await preflight(parseProxy(socks.url), undefined, 1_000)).toBeUndefined();
    const dead = farm.proxy('refusing');
    expect(await preflight(parseProxy(`socks5://127.0.0.1:${new URL(dead.url).port}`), https(), 1_000)).toMatchObject({
      kind: 'proxy_unreachable',
    });
  });
});
