import { type AddressInfo, type Server, createServer } from 'node:net';
import { parseProxy } from '@proxy-pool/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyFarm, Socks5Server } from '../../../e2e/src/farm/index.js';
import { preflight, preflightOrigin } from '../src/index.js';
import { LearnedOrigins } from '../src/learned-origins.js';

/**
 * A SOCKS5 server (RFC 1928, no authentication) that answers every CONNECT with `reply`,
 * and records the port each CONNECT asked for.
 */
async function socksReplying(reply: number): Promise<{ url: string; ports: number[]; close(): Promise<void> }> {
  const ports: number[] = [];
  const server: Server = createServer((client) => {
    client.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let greeted = false;
    client.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!greeted) {
        if (buffer.length < 2 || buffer.length < 2 + buffer[1]!) return;
        buffer = buffer.subarray(2 + buffer[1]!);
        greeted = true;
        client.write(Buffer.from([0x05, 0x00]));
      }
      if (buffer.length < 5) return;
      const end = buffer[3] === 0x03 ? 5 + buffer[4]! : buffer[3] === 0x04 ? 20 : 8;
      if (buffer.length < end + 2) return;
      ports.push(buffer.readUInt16BE(end));
      buffer = Buffer.alloc(0);
      const bound = [0x01, 0, 0, 0, 0, 0, 0];
      if (reply === 0x00) client.write(Buffer.from([0x05, reply, 0x00, ...bound]));
      else client.end(Buffer.from([0x05, reply, 0x00, ...bound]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `socks5://127.0.0.1:${port}`,
    ports,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('preflightOrigin: where a pre-flight check looks', () => {
  it.each([
    ['shop.example', { host: 'shop.example', port: 443, tunnel: false }],
    ['shop.example:8443', { host: 'shop.example', port: 8443, tunnel: false }],
    ['https://shop.example/item/1', { host: 'shop.example', port: 443, tunnel: true }],
    ['https://shop.example:8443/item/1', { host: 'shop.example', port: 8443, tunnel: true }],
    ['http://shop.example/', { host: 'shop.example', port: 80, tunnel: false }],
    ['http://shop.example:8080/', { host: 'shop.example', port: 8080, tunnel: false }],
    ['[::1]:8080', { host: '::1', port: 8080, tunnel: false }],
    [new URL('https://[::1]/'), { host: '::1', port: 443, tunnel: true }],
    ['ftp://shop.example/', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s → %j', (target, origin) => {
    expect(preflightOrigin(target)).toEqual(origin);
  });

  it('learns where a target’s jobs navigated, for that site only', () => {
    const origins = new LearnedOrigins();
    origins.navigated('shop.example', 'https://www.shop.example:8443/item/1');
    expect(origins.get('shop.example')).toEqual({ host: 'www.shop.example', port: 8443, tunnel: true });
    origins.navigated('news.example', 'https://elsewhere.example/');
    expect(origins.get('news.example')).toBeUndefined();
    origins.navigated(undefined, 'https://shop.example/');
    expect(origins.get(undefined)).toBeUndefined();
  });
});

describe('pre-flight checks through SOCKS: the far side’s replies are not the proxy’s fault', () => {
  it.each([
    [0x03, 'network unreachable'],
    [0x04, 'host unreachable'],
    [0x05, 'connection refused'],
    [0x06, 'TTL expired'],
  ])('reply 0x0%d (%s) passes: the proxy worked', async (reply) => {
    const socks = await socksReplying(reply);
    try {
      expect(await preflight(parseProxy(socks.url), new URL('https://shop.test/'), 1_000)).toBeUndefined();
      expect(socks.ports).toEqual([443]);
    } finally {
      await socks.close();
    }
  });

  it('the proxy’s own refusals still fail it; a general failure stays ambiguous', async () => {
    for (const [reply, kind] of [
      [0x02, 'proxy_error'],
      [0x07, 'proxy_error'],
      [0x08, 'proxy_error'],
      [0x01, 'tunnel_failed'],
    ] as const) {
      const socks = await socksReplying(reply);
      try {
        expect(await preflight(parseProxy(socks.url), new URL('https://shop.test/'), 1_000), `reply ${reply}`).toMatchObject({ kind });
      } finally {
        await socks.close();
      }
    }
  });

  it('checks a bare site on 443 (or the port it names), and a URL on its own port', async () => {
    const socks = await socksReplying(0x00);
    try {
      for (const target of ['shop.test', 'shop.test:8443', 'https://shop.test:9443/a', 'http://shop.test/', 'http://shop.test:8080/']) {
        expect(await preflight(parseProxy(socks.url), target, 1_000), target).toBeUndefined();
      }
      expect(socks.ports).toEqual([443, 8443, 9443, 80, 8080]);
    } finally {
      await socks.close();
    }
  });

  describe('through the farm’s SOCKS5 server', () => {
    let farm: ProxyFarm;
    let socks: Socks5Server;
    let closedPort: number;
    beforeAll(async () => {
      farm = await ProxyFarm.start({ proxies: [{ name: 'good', mode: 'good' }] });
      socks = await Socks5Server.start(farm.registry, 'socks-far-side');
      const spare = createServer();
      await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
      closedPort = (spare.address() as AddressInfo).port;
      await new Promise((resolve) => spare.close(resolve));
    });
    afterAll(async () => {
      await socks?.close();
      await farm?.close();
    });

    it('passes a working SOCKS proxy whose destination refuses the connection', async () => {
      const requests = socks.requests;
      expect(await preflight(parseProxy(socks.url), new URL(`https://down.test:${closedPort}/`), 1_000)).toBeUndefined();
      expect(socks.requests).toBe(requests + 1); // it did ask the proxy for the destination
    });
  });
});
