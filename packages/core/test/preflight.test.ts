import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyFarm, Socks5Server } from '../../../e2e/src/farm/index.js';
import { parseProxy, preflight } from '../src/index.js';

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

  it('only connects to the proxy for http targets (no CONNECT to port 80, which many proxies refuse)', async () => {
    expect(await check('refusing', http())).toMatchObject({ kind: 'proxy_unreachable' });
    // These accept connections, and Chromium would send them a plain request, not CONNECT: not judged here.
    expect(await check('error502', http())).toBeUndefined();
    expect(await check('auth-wrong', http())).toBeUndefined();
  });

  it('never sends a request to the target', async () => {
    const before = farm.sites[1]!.seen.length;
    await check('good', https());
    await check('auth-ok', https());
    expect(farm.sites[1]!.seen.length).toBe(before);
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
